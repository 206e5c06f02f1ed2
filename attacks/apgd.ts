/**
 * @module APGD (Croce & Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse
 * parameter-free attacks", ICML 2020, https://arxiv.org/abs/2003.01690), as in fra31/auto-attack's
 * `autopgd_base.py`. Distance measure: Linf or L2.
 *
 * One run: start at x + eps * normalize(noise) (Linf: uniform noise scaled to Linf norm eps; L2:
 * Gaussian on the eps-sphere), clipped to [0,1]; initial step 2 * eps; each iteration takes a
 * projected (sign / normalised) gradient step and mixes it with the previous move (momentum 0.75, none
 * on the first iteration), projecting again. Checkpoints come after 0.22 * n_iter iterations, then
 * every max(previous - 0.03 * n_iter, 0.06 * n_iter): an example's step size halves (and it restarts
 * from its best point and gradient) when its loss increased in at most rho = 0.75 of the steps since the
 * last checkpoint, or when the step was not halved last time and the best loss has not improved.
 * Per example the run keeps the highest-loss point and the latest misclassified point.
 *
 * `apgd` (APGD-CE / APGD-DLR) attacks only the points still correctly classified, restart after
 * restart. `apgdT` (APGD-T) runs the targeted DLR loss against the 2nd, 3rd, ... most likely classes of
 * the clean point (9 targets, capped at classes - 1). Below 3 classes (DLR) or 4 (targeted DLR) the loss
 * falls back to CE / targeted CE and the result's notes say so.
 *
 * Cost: one forward+backward per iteration (the gradient pass's logits and losses serve the bookkeeping),
 * plus per single run the start gradient, and per batch one clean forward (APGD-T's targets come from it).
 * The restarts and targets are driven by apgd-plan.ts, which also lets a batch's points be shared out.
 *
 * Shapes: x [N,H,W,C] in [0,1], y [N] int labels; xAdv like x, owned by the caller.
 *
 * @example
 * const { xAdv, notes } = apgd({ norm: 'Linf', eps: 8 / 255, loss: 'ce' }).run(logits, x, y, 0);
 */
import * as tf from '@tensorflow/tfjs-core';
import '../harness/foundation/tensor/setup.ts';
import {
  apgdPlan,
  targetCount,
  type ApgdStage,
  type CleanLogits,
  type PlanResult,
  type PlanShape,
  type StageOutcome,
  withExamples,
} from './apgd-plan.ts';
import { resolveLoss, type PerExampleLoss, type ResolvedLoss } from './losses.ts';
import type { Attack, AttackResult, LogitsFn, Norm } from './types.ts';
import {
  assertBatch,
  assertCount,
  assertNorm,
  assertPositive,
  attackRng,
  labelsOf,
  logitsOf,
  normalize,
  normOf,
  replaceRows,
  takeRows,
} from './utils.ts';

/** The common-ground radius per norm (Linf 8/255, L2 0.5) when an attack is given no eps. */
export const DEFAULT_EPS: Readonly<Record<Norm, number>> = { Linf: 8 / 255, L2: 0.5 };

export interface ApgdOptions {
  /** @default 'Linf' */
  readonly norm: Norm;
  /** @default 8/255 (Linf), 0.5 (L2) */
  readonly eps: number;
  /** Iterations per run. @default 100 */
  readonly nIter: number;
  /** @default 1 */
  readonly restarts: number;
  /** @default 'ce' */
  readonly loss: 'ce' | 'dlr';
  /** Step-size reduction threshold. @default 0.75 */
  readonly rho: number;
  /** Gradient samples averaged per step (Expectation over Transformation, for randomised models). @default 1 */
  readonly eotIter: number;
  /** Return per example the highest-loss point over restarts (all points attacked) instead of adversarial ones. @default false */
  readonly bestLoss: boolean;
}

export interface ApgdTOptions {
  readonly norm: Norm;
  readonly eps: number;
  readonly nIter: number;
  readonly restarts: number;
  /** Target classes tried per point: the 2nd .. (n+1)-th largest clean logits, capped at classes - 1. @default 9 */
  readonly nTargetClasses: number;
  readonly rho: number;
  readonly eotIter: number;
}

export const APGD_DEFAULTS: Omit<ApgdOptions, 'eps'> = {
  norm: 'Linf',
  nIter: 100,
  restarts: 1,
  loss: 'ce',
  rho: 0.75,
  eotIter: 1,
  bestLoss: false,
};
export const APGD_T_DEFAULTS: Omit<ApgdTOptions, 'eps'> = {
  norm: 'Linf',
  nIter: 100,
  restarts: 1,
  nTargetClasses: 9,
  rho: 0.75,
  eotIter: 1,
};

/** The reference's checkpoint schedule: first after 0.22 n, shrinking by 0.03 n down to 0.06 n. */
export function apgdSchedule(nIter: number): { first: number; min: number; decrease: number } {
  return {
    first: Math.max(Math.floor(0.22 * nIter), 1),
    min: Math.max(Math.floor(0.06 * nIter), 1),
    decrease: Math.max(Math.floor(0.03 * nIter), 1),
  };
}

interface RunConfig {
  readonly model: LogitsFn;
  readonly loss: PerExampleLoss;
  readonly norm: Norm;
  readonly eps: number;
  readonly nIter: number;
  readonly rho: number;
  readonly eotIter: number;
}

interface SingleRun {
  /** Highest-loss point per example. */
  readonly xBest: tf.Tensor4D;
  /** Latest misclassified point per example (the start point where none was found). */
  readonly xBestAdv: tf.Tensor4D;
  /** The model's class on each xBestAdv row, from the forward that found it. */
  readonly predBestAdv: Int32Array;
  /** 1 while never misclassified during the run. */
  readonly acc: Uint8Array;
  readonly lossBest: Float32Array;
  /** Examples whose gradient at the start point was exactly zero. */
  readonly zeroGradients: number;
}

interface Evaluation {
  grad: tf.Tensor4D;
  pred: Int32Array;
  loss: Float32Array;
}

/**
 * Gradient of the summed per-example loss, averaged over `eotIter` forwards; predictions and losses
 * come from the last forward, as in the reference.
 */
function evaluate(c: RunConfig, xAdv: tf.Tensor4D, y: tf.Tensor1D, targets: tf.Tensor1D | undefined): Evaluation {
  const last: { logits?: tf.Tensor2D; loss?: tf.Tensor1D } = {};
  const release = () => {
    last.logits?.dispose();
    last.loss?.dispose();
  };
  const grad = tf.tidy(() => {
    let sum: tf.Tensor4D | undefined;
    for (let e = 0; e < c.eotIter; e++) {
      release();
      const g = tf.grad((z: tf.Tensor) => {
        // Kept past the gradient's own scope; released below.
        const logits = tf.keep(c.model(z as tf.Tensor4D));
        const loss = tf.keep(c.loss(logits, y, targets));
        last.logits = logits;
        last.loss = loss;
        return tf.sum(loss);
      })(xAdv) as tf.Tensor4D;
      sum = sum ? (tf.add(sum, g) as tf.Tensor4D) : g;
    }
    return c.eotIter > 1 ? (tf.div(sum!, c.eotIter) as tf.Tensor4D) : sum!;
  });
  const predT = tf.argMax(last.logits!, 1);
  const pred = Int32Array.from(predT.dataSync());
  const values = Float32Array.from(last.loss!.dataSync());
  predT.dispose();
  release();
  return { grad, pred, loss: values };
}

/**
 * Rows `take` of a stage of `total` rows: the noise is drawn for all of them (one seeded stream, row after
 * row) and these rows kept, so a shard starts where the whole stage would.
 */
interface NoiseRows {
  readonly total: number;
  readonly take: readonly number[];
}

/** AutoAttack's start: x + eps * noise / ||noise||, clipped to [0,1]. */
function startPoint(x: tf.Tensor4D, norm: Norm, eps: number, seed: number, rows?: NoiseRows): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, ch] = x.shape;
    const shape: [number, number, number, number] = [rows ? rows.total : n, h, w, ch];
    let t = (
      norm === 'Linf' ? tf.randomUniform(shape, -1, 1, 'float32', seed) : tf.randomNormal(shape, 0, 1, 'float32', seed)
    ) as tf.Tensor4D;
    if (rows) t = takeRows(t, rows.take);
    return tf.clipByValue(tf.add(x, tf.mul(normalize(t, norm), eps)), 0, 1) as tf.Tensor4D;
  });
}

/**
 * The run's Linf box: [max(x - eps, 0), min(x + eps, 1)], made once per run. Clamping to it is exactly the
 * reference's min(max(p, x - eps), x + eps) then clamp to [0,1] (comparisons only, no rounding), in two
 * ops an iteration instead of five.
 */
interface Box {
  readonly lo: tf.Tensor4D;
  readonly hi: tf.Tensor4D;
}

function linfBox(x: tf.Tensor4D, eps: number): Box {
  return tf.tidy(() => ({
    lo: tf.maximum(tf.sub(x, eps), 0) as tf.Tensor4D,
    hi: tf.minimum(tf.add(x, eps), 1) as tf.Tensor4D,
  }));
}

/** Projection onto the eps-ball around x, then [0,1], in the reference's form (L2: radial rescale). */
function project(x: tf.Tensor4D, box: Box | undefined, p: tf.Tensor4D, norm: Norm, eps: number): tf.Tensor4D {
  if (norm === 'Linf') return tf.minimum(tf.maximum(p, box!.lo), box!.hi) as tf.Tensor4D;
  const d = tf.sub(p, x) as tf.Tensor4D;
  return tf.clipByValue(tf.add(x, tf.mul(normalize(d, 'L2'), tf.minimum(eps, normOf(d, 'L2')))), 0, 1) as tf.Tensor4D;
}

/** The step with momentum: z = P(x_k + eta * s(grad)); x_{k+1} = P(x_k + a (z - x_k) + (1 - a)(x_k - x_{k-1})). */
function momentumStep(
  c: RunConfig,
  x: tf.Tensor4D,
  box: Box | undefined,
  xAdv: tf.Tensor4D,
  xAdvOld: tf.Tensor4D,
  grad: tf.Tensor4D,
  stepSize: Float32Array,
  a: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const eta = tf.tensor4d(stepSize, [stepSize.length, 1, 1, 1]);
    const direction = c.norm === 'Linf' ? tf.sign(grad) : normalize(grad, 'L2');
    const z = project(x, box, tf.add(xAdv, tf.mul(eta, direction)) as tf.Tensor4D, c.norm, c.eps);
    if (a === 1) return z;
    const mixed = tf.add(tf.add(xAdv, tf.mul(tf.sub(z, xAdv), a)), tf.mul(tf.sub(xAdv, xAdvOld), 1 - a)) as tf.Tensor4D;
    return project(x, box, mixed, c.norm, c.eps);
  });
}

/**
 * Oscillation test at iteration j over the last k steps: the number of steps whose loss rose is at most
 * k * rho. Indices wrap like Python's negative indexing, so the first checkpoint compares the first
 * step's loss with the (still zero) last row, exactly as the reference does.
 */
function oscillating(lossSteps: Float32Array[], j: number, k: number, rho: number, e: number): boolean {
  const n = lossSteps.length;
  const at = (i: number) => lossSteps[((i % n) + n) % n][e];
  let rises = 0;
  for (let c = 0; c < k; c++) if (at(j - c) > at(j - c - 1)) rises++;
  return rises <= k * rho;
}

function countZeroGradients(grad: tf.Tensor4D): number {
  const s = tf.tidy(() => tf.sum(tf.abs(grad), [1, 2, 3]));
  const v = s.dataSync();
  s.dispose();
  let zeros = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
  return zeros;
}

/** One APGD run on a batch (all of it), from a seeded start. */
function singleRun(
  c: RunConfig,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  targets: tf.Tensor1D | undefined,
  seed: number,
  rows?: NoiseRows,
): SingleRun {
  const n = x.shape[0];
  const labels = labelsOf(y);
  const { first, min, decrease } = apgdSchedule(c.nIter);

  let xAdv = startPoint(x, c.norm, c.eps, seed, rows);
  let { grad, pred, loss } = evaluate(c, xAdv, y, targets);
  const zeroGradients = countZeroGradients(grad);
  const acc = Uint8Array.from(pred, (p, i) => (p === labels[i] ? 1 : 0));
  const predBestAdv = Int32Array.from(pred);
  const lossBest = Float32Array.from(loss);
  let xBest = tf.clone(xAdv);
  let xBestAdv = tf.clone(xAdv);
  let gradBest = tf.clone(grad);
  let xAdvOld = tf.clone(xAdv);

  const stepSize = new Float32Array(n).fill(2 * c.eps);
  const lossSteps = Array.from({ length: c.nIter }, () => new Float32Array(n));
  let lossBestLastCheck = Float32Array.from(lossBest);
  let reducedLastCheck = new Uint8Array(n).fill(1);
  let k = first;
  let sinceCheck = 0;
  const box = c.norm === 'Linf' ? linfBox(x, c.eps) : undefined;

  // One forward+backward an iteration: the gradient pass's logits and losses also serve the bookkeeping.
  for (let i = 0; i < c.nIter; i++) {
    const next = momentumStep(c, x, box, xAdv, xAdvOld, grad, stepSize, i > 0 ? 0.75 : 1);
    xAdvOld.dispose();
    xAdvOld = xAdv;
    xAdv = next;
    grad.dispose();
    ({ grad, pred, loss } = evaluate(c, xAdv, y, targets));

    const fooled = new Uint8Array(n);
    for (let e = 0; e < n; e++) {
      if (pred[e] !== labels[e]) {
        fooled[e] = 1;
        acc[e] = 0;
        predBestAdv[e] = pred[e];
      }
    }
    xBestAdv = replaceRows(fooled, xAdv, xBestAdv);

    lossSteps[i].set(loss);
    const improved = new Uint8Array(n);
    for (let e = 0; e < n; e++) {
      if (loss[e] > lossBest[e]) {
        improved[e] = 1;
        lossBest[e] = loss[e];
      }
    }
    xBest = replaceRows(improved, xAdv, xBest);
    gradBest = replaceRows(improved, grad, gradBest);

    if (++sinceCheck === k) {
      const reduce = new Uint8Array(n);
      for (let e = 0; e < n; e++) {
        const noProgress = !reducedLastCheck[e] && lossBestLastCheck[e] >= lossBest[e];
        reduce[e] = oscillating(lossSteps, i, k, c.rho, e) || noProgress ? 1 : 0;
        if (reduce[e]) stepSize[e] /= 2;
      }
      reducedLastCheck = reduce;
      lossBestLastCheck = Float32Array.from(lossBest);
      // Restart the reduced examples from their best point and its gradient.
      xAdv = replaceRows(reduce, xBest, xAdv);
      grad = replaceRows(reduce, gradBest, grad);
      k = Math.max(k - decrease, min);
      sinceCheck = 0;
    }
  }
  tf.dispose([xAdv, xAdvOld, grad, gradBest, ...(box ? [box.lo, box.hi] : [])]);
  return { xBest, xBestAdv, predBestAdv, acc, lossBest, zeroGradients };
}

function resolveApgdCommon<
  T extends { norm: Norm; eps: number; nIter: number; restarts: number; rho: number; eotIter: number },
>(name: string, o: T): T {
  assertNorm(name, o.norm);
  assertPositive(name, { eps: o.eps, rho: o.rho });
  assertCount(name, { nIter: o.nIter, restarts: o.restarts, eotIter: o.eotIter });
  if (o.rho >= 1) throw new Error(`${name}: rho must be in (0, 1), got ${o.rho}`);
  return o;
}

export function resolveApgdOptions(options: Partial<ApgdOptions>): ApgdOptions {
  const norm = options.norm ?? APGD_DEFAULTS.norm;
  const o: ApgdOptions = { ...APGD_DEFAULTS, eps: DEFAULT_EPS[norm], ...options };
  if (o.loss !== 'ce' && o.loss !== 'dlr')
    throw new Error(`apgd: loss must be 'ce' or 'dlr', got '${o.loss}' (targeted DLR is apgdT)`);
  return resolveApgdCommon('apgd', o);
}

export function resolveApgdTOptions(options: Partial<ApgdTOptions>): ApgdTOptions {
  const norm = options.norm ?? APGD_T_DEFAULTS.norm;
  const o: ApgdTOptions = { ...APGD_T_DEFAULTS, eps: DEFAULT_EPS[norm], ...options };
  assertCount('apgdT', { nTargetClasses: o.nTargetClasses });
  return resolveApgdCommon('apgdT', o);
}

function lossNotes(resolved: ResolvedLoss): Record<string, unknown> {
  return resolved.fallback
    ? {
        loss: resolved.name,
        lossFallback: { from: resolved.fallback.requested, to: resolved.name, reason: resolved.fallback.reason },
      }
    : { loss: resolved.name };
}

/** An APGD attack whose batches can be shared out by points (see apgd-plan.ts). */
export interface StagedApgd {
  readonly shape: PlanShape;
  /** A stage's rows `take` (positions in stage.rows; default all); x and y hold just those rows. */
  runShard(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D, stage: ApgdStage, take?: readonly number[]): StageOutcome;
  /** The notes `run` returns for a finished plan. */
  notes(result: PlanResult): Record<string, unknown>;
}

/** The staged form of an APGD-CE/-DLR/-T attack; undefined for other attacks and best-loss mode. */
export function stagedApgd(attack: Attack): StagedApgd | undefined {
  return (attack as { staged?: StagedApgd }).staged;
}

function shardRunner(
  o: Pick<ApgdOptions, 'norm' | 'eps' | 'nIter' | 'rho' | 'eotIter'>,
  lossName: 'ce' | 'dlr' | 'dlr-targeted',
): StagedApgd['runShard'] {
  return (model, x, y, stage, take) => {
    const c: RunConfig = {
      model,
      loss: resolveLoss(lossName, stage.classes).fn,
      norm: o.norm,
      eps: o.eps,
      nIter: o.nIter,
      rho: o.rho,
      eotIter: o.eotIter,
    };
    const t = stage.targets && (take ? Int32Array.from(take, (j) => stage.targets![j]) : stage.targets);
    const targets = t && tf.tensor1d(t, 'int32');
    const run = singleRun(c, x, y, targets, stage.seed, take && { total: stage.rows.length, take });
    try {
      return {
        fooled: run.acc.map((v) => 1 - v),
        xAdv: Float32Array.from(run.xBestAdv.dataSync()),
        pred: run.predBestAdv,
        zeroGradients: run.zeroGradients,
      };
    } finally {
      tf.dispose([run.xBest, run.xBestAdv, ...(targets ? [targets] : [])]);
    }
  };
}

/** Runs the plan in this thread, each stage whole, and returns the batch's examples. */
function runPlan(staged: StagedApgd, model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D, seed: number): AttackResult {
  const plan = apgdPlan(staged.shape, labelsOf(y), seed);
  let answer: CleanLogits | StageOutcome | undefined;
  for (;;) {
    const r = plan.next(answer);
    if (r.done) {
      const data = withExamples(x.dataSync() as Float32Array, r.value.adv);
      return { xAdv: tf.tensor4d(data, x.shape), notes: staged.notes(r.value) };
    }
    if (r.value.kind === 'clean') {
      answer = logitsOf(model, x);
      continue;
    }
    const { stage } = r.value;
    const xs = takeRows(x, stage.rows);
    const ys = takeRows(y, stage.rows);
    try {
      answer = staged.runShard(model, xs, ys, stage);
    } finally {
      tf.dispose([xs, ys]);
    }
  }
}

/** APGD-CE / APGD-DLR with AutoAttack's defaults (100 iterations, rho 0.75, 1 restart). */
export function apgd(options: Partial<ApgdOptions> = {}): Attack & { readonly staged?: StagedApgd } {
  const o = resolveApgdOptions(options);
  const common = (k: number) => ({
    ...lossNotes(resolveLoss(o.loss, k)),
    restarts: o.restarts,
    nIter: o.nIter,
    eotIter: o.eotIter,
  });
  const staged: StagedApgd | undefined = o.bestLoss
    ? undefined
    : {
        shape: { name: 'apgd', restarts: o.restarts },
        runShard: shardRunner(o, o.loss),
        notes: (r) => ({ ...common(r.clean.k), zeroGradientPoints: r.zeroGradients }),
      };
  return {
    id: `apgd-${o.loss}`,
    norm: o.norm,
    eps: o.eps,
    options: { ...o },
    ...(staged ? { staged } : {}),
    run(model, x, y, seed): AttackResult {
      assertBatch('apgd', x, y);
      if (x.shape[0] === 0) return { xAdv: tf.clone(x) };
      if (staged) return runPlan(staged, model, x, y, seed);
      // Best-loss mode: every point, every restart, keeping the highest-loss point.
      const rng = attackRng('apgd', seed);
      const { k } = logitsOf(model, x);
      const c: RunConfig = {
        model,
        loss: resolveLoss(o.loss, k).fn,
        norm: o.norm,
        eps: o.eps,
        nIter: o.nIter,
        rho: o.rho,
        eotIter: o.eotIter,
      };
      let best = tf.clone(x);
      const lossBest = new Float32Array(x.shape[0]).fill(-Infinity);
      let zeroGradients = 0;
      for (let r = 0; r < o.restarts; r++) {
        const run = singleRun(c, x, y, undefined, rng.nextSeed());
        zeroGradients = Math.max(zeroGradients, run.zeroGradients);
        const better = Uint8Array.from(run.lossBest, (l, i) => (l > lossBest[i] ? 1 : 0));
        best = replaceRows(better, run.xBest, best);
        run.lossBest.forEach((l, i) => {
          if (better[i]) lossBest[i] = l;
        });
        tf.dispose([run.xBest, run.xBestAdv]);
      }
      return { xAdv: best, notes: { ...common(k), zeroGradientPoints: zeroGradients } };
    },
  };
}

/** APGD-T: targeted DLR against the top-9 (capped at classes - 1) runner-up classes. */
export function apgdT(options: Partial<ApgdTOptions> = {}): Attack & { readonly staged: StagedApgd } {
  const o = resolveApgdTOptions(options);
  const staged: StagedApgd = {
    shape: { name: 'apgdT', restarts: o.restarts, nTargetClasses: o.nTargetClasses },
    runShard: shardRunner(o, 'dlr-targeted'),
    notes(r) {
      const { k } = r.clean;
      const nTargets = targetCount(staged.shape, k);
      const notes: Record<string, unknown> = {
        ...lossNotes(resolveLoss('dlr-targeted', k)),
        restarts: o.restarts,
        nIter: o.nIter,
        eotIter: o.eotIter,
        nTargetClasses: nTargets,
        zeroGradientPoints: r.zeroGradients,
      };
      if (nTargets < o.nTargetClasses)
        notes.targetsCapped = { requested: o.nTargetClasses, used: nTargets, reason: `the model has ${k} classes` };
      return notes;
    },
  };
  return {
    id: 'apgd-t',
    norm: o.norm,
    eps: o.eps,
    options: { ...o },
    staged,
    run(model, x, y, seed): AttackResult {
      assertBatch('apgdT', x, y);
      if (x.shape[0] === 0) return { xAdv: tf.clone(x) };
      return runPlan(staged, model, x, y, seed);
    },
  };
}
