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
 * Shapes: x [N,H,W,C] in [0,1], y [N] int labels; xAdv like x, owned by the caller.
 *
 * @example
 * const { xAdv, notes } = apgd({ norm: 'Linf', eps: 8 / 255, loss: 'ce' }).run(logits, x, y, 0);
 */
import * as tf from '@tensorflow/tfjs-core';
import '../harness/tensor/setup.ts';
import type { Rng } from '../harness/rng.ts';
import { resolveLoss, type PerExampleLoss, type ResolvedLoss } from './losses.ts';
import type { Attack, AttackResult, LogitsFn, Norm } from './types.ts';
import {
  assertBatch,
  assertCount,
  assertNorm,
  assertPositive,
  attackRng,
  indicesOf,
  labelsOf,
  logitsOf,
  normalize,
  normOf,
  rankedClass,
  replaceRows,
  scatterRows,
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

/** AutoAttack's start: x + eps * noise / ||noise||, clipped to [0,1]. */
function startPoint(x: tf.Tensor4D, norm: Norm, eps: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const t =
      norm === 'Linf'
        ? tf.randomUniform(x.shape, -1, 1, 'float32', seed)
        : tf.randomNormal(x.shape, 0, 1, 'float32', seed);
    return tf.clipByValue(tf.add(x, tf.mul(normalize(t as tf.Tensor4D, norm), eps)), 0, 1) as tf.Tensor4D;
  });
}

/** Projection onto the eps-ball around x, then [0,1], in the reference's form (L2: radial rescale). */
function project(x: tf.Tensor4D, p: tf.Tensor4D, norm: Norm, eps: number): tf.Tensor4D {
  if (norm === 'Linf')
    return tf.clipByValue(tf.minimum(tf.maximum(p, tf.sub(x, eps)), tf.add(x, eps)), 0, 1) as tf.Tensor4D;
  const d = tf.sub(p, x) as tf.Tensor4D;
  return tf.clipByValue(tf.add(x, tf.mul(normalize(d, 'L2'), tf.minimum(eps, normOf(d, 'L2')))), 0, 1) as tf.Tensor4D;
}

/** The step with momentum: z = P(x_k + eta * s(grad)); x_{k+1} = P(x_k + a (z - x_k) + (1 - a)(x_k - x_{k-1})). */
function momentumStep(
  c: RunConfig,
  x: tf.Tensor4D,
  xAdv: tf.Tensor4D,
  xAdvOld: tf.Tensor4D,
  grad: tf.Tensor4D,
  stepSize: Float32Array,
  a: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const eta = tf.tensor4d(stepSize, [stepSize.length, 1, 1, 1]);
    const direction = c.norm === 'Linf' ? tf.sign(grad) : normalize(grad, 'L2');
    const z = project(x, tf.add(xAdv, tf.mul(eta, direction)) as tf.Tensor4D, c.norm, c.eps);
    if (a === 1) return z;
    const mixed = tf.add(tf.add(xAdv, tf.mul(tf.sub(z, xAdv), a)), tf.mul(tf.sub(xAdv, xAdvOld), 1 - a)) as tf.Tensor4D;
    return project(x, mixed, c.norm, c.eps);
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
): SingleRun {
  const n = x.shape[0];
  const labels = labelsOf(y);
  const { first, min, decrease } = apgdSchedule(c.nIter);

  let xAdv = startPoint(x, c.norm, c.eps, seed);
  let { grad, pred, loss } = evaluate(c, xAdv, y, targets);
  const zeroGradients = countZeroGradients(grad);
  const acc = Uint8Array.from(pred, (p, i) => (p === labels[i] ? 1 : 0));
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

  for (let i = 0; i < c.nIter; i++) {
    const next = momentumStep(c, x, xAdv, xAdvOld, grad, stepSize, i > 0 ? 0.75 : 1);
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
  tf.dispose([xAdv, xAdvOld, grad, gradBest]);
  return { xBest, xBestAdv, acc, lossBest, zeroGradients };
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

/** Runs single runs on the still-robust points, restart after restart, and merges the successes. */
function attackRemaining(
  c: RunConfig,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  acc: Uint8Array,
  adv: tf.Tensor4D,
  restarts: number,
  rng: Rng,
  targetsFor?: (xs: tf.Tensor4D) => tf.Tensor1D,
): { adv: tf.Tensor4D; zeroGradients: number } {
  let zeroGradients = 0;
  for (let r = 0; r < restarts; r++) {
    const idx = indicesOf(acc);
    if (idx.length === 0) break;
    const xs = takeRows(x, idx);
    const ys = takeRows(y, idx);
    const targets = targetsFor?.(xs);
    const run = singleRun(c, xs, ys, targets, rng.nextSeed());
    zeroGradients = Math.max(zeroGradients, run.zeroGradients);
    const local = indicesOf(run.acc.map((v) => 1 - v));
    if (local.length) {
      const rows = takeRows(run.xBestAdv, local);
      const next = scatterRows(
        adv,
        local.map((j) => idx[j]),
        rows,
      );
      tf.dispose([rows, adv]);
      adv = next;
      for (const j of local) acc[idx[j]] = 0;
    }
    tf.dispose([xs, ys, run.xBest, run.xBestAdv, ...(targets ? [targets] : [])]);
  }
  return { adv, zeroGradients };
}

/** APGD-CE / APGD-DLR with AutoAttack's defaults (100 iterations, rho 0.75, 1 restart). */
export function apgd(options: Partial<ApgdOptions> = {}): Attack {
  const o = resolveApgdOptions(options);
  return {
    id: `apgd-${o.loss}`,
    norm: o.norm,
    eps: o.eps,
    options: { ...o },
    run(model, x, y, seed): AttackResult {
      assertBatch('apgd', x, y);
      if (x.shape[0] === 0) return { xAdv: tf.clone(x) };
      const rng = attackRng('apgd', seed);
      const { values, k } = logitsOf(model, x);
      const resolved = resolveLoss(o.loss, k);
      const c: RunConfig = {
        model,
        loss: resolved.fn,
        norm: o.norm,
        eps: o.eps,
        nIter: o.nIter,
        rho: o.rho,
        eotIter: o.eotIter,
      };
      const notes: Record<string, unknown> = {
        ...lossNotes(resolved),
        restarts: o.restarts,
        nIter: o.nIter,
        eotIter: o.eotIter,
      };

      if (o.bestLoss) {
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
        return { xAdv: best, notes: { ...notes, zeroGradientPoints: zeroGradients } };
      }

      const labels = labelsOf(y);
      const acc = new Uint8Array(labels.length);
      for (let i = 0; i < labels.length; i++) acc[i] = argmaxRow(values, k, i) === labels[i] ? 1 : 0;
      const { adv, zeroGradients } = attackRemaining(c, x, y, acc, tf.clone(x), o.restarts, rng);
      return { xAdv: adv, notes: { ...notes, zeroGradientPoints: zeroGradients } };
    },
  };
}

/** APGD-T: targeted DLR against the top-9 (capped at classes - 1) runner-up classes. */
export function apgdT(options: Partial<ApgdTOptions> = {}): Attack {
  const o = resolveApgdTOptions(options);
  return {
    id: 'apgd-t',
    norm: o.norm,
    eps: o.eps,
    options: { ...o },
    run(model, x, y, seed): AttackResult {
      assertBatch('apgdT', x, y);
      if (x.shape[0] === 0) return { xAdv: tf.clone(x) };
      const rng = attackRng('apgdT', seed);
      const { values, k } = logitsOf(model, x);
      const resolved = resolveLoss('dlr-targeted', k);
      const nTargets = Math.min(o.nTargetClasses, k - 1);
      const c: RunConfig = {
        model,
        loss: resolved.fn,
        norm: o.norm,
        eps: o.eps,
        nIter: o.nIter,
        rho: o.rho,
        eotIter: o.eotIter,
      };
      const labels = labelsOf(y);
      const acc = new Uint8Array(labels.length);
      for (let i = 0; i < labels.length; i++) acc[i] = argmaxRow(values, k, i) === labels[i] ? 1 : 0;
      let adv = tf.clone(x);
      let zeroGradients = 0;
      for (let rank = 2; rank <= nTargets + 1; rank++) {
        // The target is the rank-th most likely class of the clean point, recomputed on the points left.
        const targetsFor = (xs: tf.Tensor4D) => {
          const z = logitsOf(model, xs);
          return tf.tensor1d(rankedClass(z.values, z.k, rank), 'int32');
        };
        const res = attackRemaining(c, x, y, acc, adv, o.restarts, rng, targetsFor);
        adv = res.adv;
        zeroGradients = Math.max(zeroGradients, res.zeroGradients);
      }
      const notes: Record<string, unknown> = {
        ...lossNotes(resolved),
        restarts: o.restarts,
        nIter: o.nIter,
        eotIter: o.eotIter,
        nTargetClasses: nTargets,
        zeroGradientPoints: zeroGradients,
      };
      if (nTargets < o.nTargetClasses)
        notes.targetsCapped = { requested: o.nTargetClasses, used: nTargets, reason: `the model has ${k} classes` };
      return { xAdv: adv, notes };
    },
  };
}

function argmaxRow(values: Float32Array, k: number, i: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (values[i * k + j] > values[i * k + best]) best = j;
  return best;
}
