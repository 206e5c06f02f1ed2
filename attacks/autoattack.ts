/**
 * @module AutoAttack (Croce & Hein, ICML 2020, https://arxiv.org/abs/2003.01690), as fra31/auto-attack's
 * `autoattack.py` runs it: an ensemble of attacks named by strings, run in order, each only on the points
 * still robust (correct on the clean point and on every adversarial example so far), in batches; a point
 * counts as broken by the first attack that fools it, and that example is returned (the per-point worst
 * case). Robust accuracy is recorded after each attack. Distance measure: Linf or L2.
 *
 * Versions: 'standard' = apgd-ce, apgd-t, fab-t, square (1 restart each, 9 targets, 5000 queries);
 * 'plus' = apgd-ce, apgd-dlr (5 restarts), fab (5 restarts), square, apgd-t, fab-t; 'rand' = apgd-ce,
 * apgd-dlr with EOT over 20 forwards (randomised defences); 'custom' = your list, with the reference's
 * constructor settings (APGD and untargeted FAB 5 restarts). A list with another version is an error.
 *
 * Before attacking it runs the sanity checks (checks.ts) and records their flags; per-point state
 * (robust flags, attacks done) is saved after every batch to a callback or JSON file and resumed from it.
 *
 * @example
 * const aa = autoAttack({ norm: 'Linf', eps: 8 / 255 });
 * const report = aa.evaluate(logits, x, y, seed);
 * report.robustAccuracy; report.robustAccuracyAfter; report.flags; report.xAdv.dispose();
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import '../harness/tensor/setup.ts';
import { Rng } from '../harness/rng.ts';
import { writeFileAtomic } from '../harness/util/atomic-write.ts';
import { apgd, apgdT, DEFAULT_EPS, type ApgdOptions, type ApgdTOptions } from './apgd.ts';
import { checkNumClasses, checkRandomized, checkRangeOutput, checkSquareSuccess, zeroGradientFlag, type CheckFlag } from './checks.ts';
import { fab, type FabOptions } from './fab.ts';
import { square, type SquareOptions } from './square.ts';
import type { Attack, AttackResult, LogitsFn, Norm } from './types.ts';
import { assertBatch, assertCount, assertNorm, assertPositive, indicesOf, labelsOf, perturbationNorms, predict, takeRows } from './utils.ts';

export const COMPONENTS = ['apgd-ce', 'apgd-dlr', 'apgd-t', 'fab', 'fab-t', 'square'] as const;
export type Component = (typeof COMPONENTS)[number];
export type AutoAttackVersion = 'standard' | 'plus' | 'rand' | 'custom';

export const VERSIONS: Readonly<Record<Exclude<AutoAttackVersion, 'custom'>, readonly Component[]>> = {
  standard: ['apgd-ce', 'apgd-t', 'fab-t', 'square'],
  plus: ['apgd-ce', 'apgd-dlr', 'fab', 'square', 'apgd-t', 'fab-t'],
  rand: ['apgd-ce', 'apgd-dlr'],
};

/** Per-point state that lets a long evaluation resume (AutoAttack's EvaluationState). */
export interface AutoAttackState {
  readonly format: 'rftbench-autoattack-state/1';
  readonly attacksToRun: readonly string[];
  readonly runAttacks: readonly string[];
  readonly robustFlags: readonly boolean[];
  readonly cleanAccuracy: number;
  /** Robust accuracy after each attack finished so far, in order (beyond the reference, for the record). */
  readonly robustAccuracyAfter: readonly { readonly attack: string; readonly robustAccuracy: number }[];
  /**
   * The attack under way when the state was saved: the points it was given and how many of its batches are
   * done, so a resumed run attacks the same batches with the same seeds and ends as an uninterrupted run.
   */
  readonly inProgress?: { readonly attack: string; readonly points: readonly number[]; readonly batchesDone: number };
}

/** Where the state lives: a JSON file path, or callbacks (load returns undefined when there is none). */
export type StateStore = string | { load(): AutoAttackState | undefined; save(state: AutoAttackState): void };

/** Component settings to override, e.g. fewer iterations or queries on a CPU tier. */
export interface ComponentOverrides {
  readonly apgd?: Partial<Omit<ApgdOptions, 'norm' | 'eps' | 'loss'>>;
  readonly apgdT?: Partial<Omit<ApgdTOptions, 'norm' | 'eps'>>;
  readonly fab?: Partial<Omit<FabOptions, 'norm' | 'eps' | 'targeted'>>;
  readonly square?: Partial<Omit<SquareOptions, 'norm' | 'eps'>>;
}

export interface AutoAttackOptions {
  /** @default 'Linf' */
  readonly norm: Norm;
  /** @default 8/255 (Linf), 0.5 (L2) */
  readonly eps: number;
  /** @default 'standard' */
  readonly version: AutoAttackVersion;
  /** The attacks of version 'custom', in order. */
  readonly attacks?: readonly Component[];
  /** Points per attack batch. @default 250 */
  readonly batchSize: number;
  readonly overrides?: ComponentOverrides;
  /** Run the sanity checks before attacking. @default true */
  readonly checks: boolean;
  readonly state?: StateStore;
  /** Progress lines ("robust accuracy after APGD-CE: 41.20%"). */
  readonly log?: (line: string) => void;
}

export interface AutoAttackReport {
  /** Worst case per point: the first adversarial example found, else the clean point. Owned by the caller. */
  readonly xAdv: tf.Tensor4D;
  /** Prediction on xAdv (the clean prediction where the point is robust or was misclassified). */
  readonly yAdv: Int32Array;
  readonly robustFlags: boolean[];
  readonly cleanAccuracy: number;
  readonly robustAccuracy: number;
  /** Robust accuracy after each attack, in the order run (attacks restored from a state included). */
  readonly robustAccuracyAfter: { attack: string; robustAccuracy: number }[];
  readonly attacks: readonly Component[];
  readonly flags: CheckFlag[];
  /** Largest perturbation of xAdv in the threat model's norm, and NaN count (the reference's final line). */
  readonly maxPerturbation: number;
  readonly nanCount: number;
  /** True when flags came from a saved state: points broken before it are returned unperturbed. */
  readonly resumed: boolean;
  /** Notes of the component attacks, per attack and batch. */
  readonly componentNotes: Record<string, unknown[]>;
  readonly options: Readonly<Record<string, unknown>>;
}

export interface Progress {
  readonly attack: string;
  readonly batch: number;
  readonly batches: number;
  readonly robustAccuracy: number;
}

/** One batch of a component: the points it attacks and its seed. */
export interface BatchJob {
  readonly points: readonly number[];
  readonly seed: number;
}

/** A batch's outcome: predictions on its adversarial examples and the examples, row-major. */
export interface BatchDone {
  readonly pred: ArrayLike<number>;
  readonly xAdv: Float32Array;
  readonly notes?: Record<string, unknown>;
}

/**
 * Runs up to `width` batches of one component at once (the evaluation worker pool). Batches of a component
 * are independent, and their outcomes are applied in batch order, so results and saved state are those of
 * one batch at a time.
 */
export interface AutoAttackBatchRunner {
  readonly width: number;
  run(component: Component, jobs: readonly BatchJob[]): Promise<BatchDone[]>;
}

interface BatchRequest {
  readonly request: { readonly component: Component; readonly jobs: BatchJob[] };
}

export interface AutoAttack extends Attack {
  readonly attacks: readonly Component[];
  /** The whole evaluation, synchronously. */
  evaluate(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D, seed: number): AutoAttackReport;
  /** The same, yielding to the event loop between batches. */
  evaluateAsync(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D, seed: number, onProgress?: (p: Progress) => void, runner?: AutoAttackBatchRunner): Promise<AutoAttackReport>;
}

/** The attack list of a version; a custom list with a non-custom version is an error, as in the reference. */
export function attacksOf(version: AutoAttackVersion, attacks?: readonly string[]): Component[] {
  if (version !== 'custom') {
    if (!(version in VERSIONS)) throw new Error(`autoattack: unknown version '${version}' (standard, plus, rand, custom)`);
    if (attacks && attacks.length) throw new Error(`autoattack: an attack list is only allowed with version 'custom' (got version '${version}'); version '${version}' runs ${VERSIONS[version].join(', ')}`);
    return [...VERSIONS[version]];
  }
  if (!attacks || attacks.length === 0) throw new Error("autoattack: version 'custom' needs a non-empty list of attacks");
  for (const a of attacks) {
    if (!(COMPONENTS as readonly string[]).includes(a)) throw new Error(`autoattack: unknown attack '${a}' (known: ${COMPONENTS.join(', ')})`);
  }
  if (new Set(attacks).size !== attacks.length) throw new Error(`autoattack: attack list has duplicates: ${attacks.join(', ')}`);
  return [...attacks] as Component[];
}

/** The component attacks with the settings of a version (AutoAttack's constructor + set_version). */
export function componentAttack(name: Component, version: AutoAttackVersion, norm: Norm, eps: number, overrides: ComponentOverrides = {}): Attack {
  const rand = version === 'rand';
  const apgdRestarts = version === 'standard' || rand ? 1 : 5;
  switch (name) {
    case 'apgd-ce':
    case 'apgd-dlr':
      return apgd({ nIter: 100, restarts: apgdRestarts, rho: 0.75, eotIter: rand ? 20 : 1, ...overrides.apgd, norm, eps, loss: name === 'apgd-ce' ? 'ce' : 'dlr' });
    case 'apgd-t':
      return apgdT({ nIter: 100, restarts: 1, nTargetClasses: 9, rho: 0.75, eotIter: 1, ...overrides.apgdT, norm, eps });
    case 'fab':
      return fab({ nIter: 100, restarts: version === 'standard' ? 1 : 5, nTargetClasses: 9, ...overrides.fab, norm, eps, targeted: false });
    case 'fab-t':
      return fab({ nIter: 100, restarts: 1, nTargetClasses: 9, ...overrides.fab, norm, eps, targeted: true });
    case 'square':
      return square({ nQueries: 5000, pInit: 0.8, restarts: 1, rescaleSchedule: false, ...overrides.square, norm, eps });
  }
}

function loadState(store: StateStore | undefined): AutoAttackState | undefined {
  if (store === undefined) return undefined;
  if (typeof store !== 'string') return store.load();
  if (!existsSync(store)) return undefined;
  const parsed = JSON.parse(readFileSync(store, 'utf8')) as AutoAttackState;
  if (parsed.format !== 'rftbench-autoattack-state/1') throw new Error(`autoattack: ${store} is not an AutoAttack state file (format '${String(parsed.format)}')`);
  return parsed;
}

function saveState(store: StateStore | undefined, state: AutoAttackState): void {
  if (store === undefined) return;
  if (typeof store !== 'string') return store.save(state);
  // Write then rename, so a kill mid-write leaves the previous state intact.
  writeFileAtomic(store, JSON.stringify(state));
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v) => b.includes(v));

export function resolveAutoAttackOptions(options: Partial<AutoAttackOptions>): AutoAttackOptions {
  const norm = options.norm ?? 'Linf';
  const o: AutoAttackOptions = { norm, eps: DEFAULT_EPS[norm], version: 'standard', batchSize: 250, checks: true, ...options };
  assertNorm('autoattack', o.norm);
  assertPositive('autoattack', { eps: o.eps });
  assertCount('autoattack', { batchSize: o.batchSize });
  return o;
}

/** AutoAttack with the reference's versions; `run` returns the worst case, `evaluate` the full report. */
export function autoAttack(options: Partial<AutoAttackOptions> = {}): AutoAttack {
  const o = resolveAutoAttackOptions(options);
  const list = attacksOf(o.version, o.attacks);
  const components = new Map(list.map((a) => [a, componentAttack(a, o.version, o.norm, o.eps, o.overrides)]));
  const log = o.log ?? (() => {});
  const recorded = {
    norm: o.norm,
    eps: o.eps,
    version: o.version,
    attacks: list,
    batchSize: o.batchSize,
    checks: o.checks,
    components: Object.fromEntries([...components].map(([k, a]) => [k, a.options])),
  };

  /** Attacks one batch in this thread. */
  function runHere(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D, attack: Attack, job: BatchJob): BatchDone {
    const xb = takeRows(x, job.points as number[]);
    const yb = takeRows(y, job.points as number[]);
    const result: AttackResult = attack.run(model, xb, yb, job.seed);
    try {
      return { pred: predict(model, result.xAdv), xAdv: result.xAdv.dataSync() as Float32Array, notes: result.notes };
    } finally {
      tf.dispose([xb, yb, result.xAdv]);
    }
  }

  // Yields progress after each batch, or a request for a runner to attack a group of batches (only when
  // `width` > 1, i.e. evaluateAsync was given a runner); the driver answers a request through next().
  function* steps(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D, seed: number, width = 1): Generator<Progress | BatchRequest, AutoAttackReport, BatchDone[] | undefined> {
    assertBatch('autoattack', x, y);
    if (!Number.isInteger(seed)) throw new Error(`autoattack: seed must be an integer, got ${seed}`);
    const n = x.shape[0];
    if (n === 0) throw new Error('autoattack: the batch is empty');
    const labels = labelsOf(y);
    const flags: CheckFlag[] = [];
    const flag = (f: CheckFlag | undefined) => {
      if (!f) return;
      flags.push(f);
      log(`Warning: ${f.message}`);
    };

    const restored = loadState(o.state);
    if (restored) {
      if (!sameSet(restored.attacksToRun, list)) {
        throw new Error(`autoattack: the saved state was made for attacks [${restored.attacksToRun.join(', ')}], not [${list.join(', ')}]; wrong state file?`);
      }
      if (restored.robustFlags.length !== n) throw new Error(`autoattack: the saved state has ${restored.robustFlags.length} points, the batch ${n}`);
      log(`restored state: ${restored.runAttacks.length ? restored.runAttacks.join(', ') : 'no attack'} already run; only this run's adversarial examples are returned`);
    }

    // Sanity checks on the first batch.
    let numClasses: number;
    {
      const head = takeRows(x, Array.from({ length: Math.min(o.batchSize, n) }, (_, i) => i));
      const headY = takeRows(y, Array.from({ length: Math.min(o.batchSize, n) }, (_, i) => i));
      try {
        if (o.checks && o.version !== 'rand') flag(checkRandomized(model, head, headY));
        const range = checkRangeOutput(model, head);
        numClasses = range.numClasses;
        if (o.checks) {
          flag(range.flag);
          flag(checkNumClasses(numClasses, list, Number(components.get('apgd-t')?.options.nTargetClasses ?? 9), Number(components.get('fab-t')?.options.nTargetClasses ?? 9)));
        }
      } finally {
        tf.dispose([head, headY]);
      }
    }

    const cleanPred = new Int32Array(n);
    for (let start = 0; start < n; start += o.batchSize) {
      const idx = Array.from({ length: Math.min(o.batchSize, n - start) }, (_, i) => start + i);
      const xb = takeRows(x, idx);
      cleanPred.set(predict(model, xb), start);
      xb.dispose();
    }
    const robust = restored ? restored.robustFlags.map(Boolean) : Array.from(cleanPred, (p, i) => p === labels[i]);
    const cleanAccuracy = restored ? restored.cleanAccuracy : robust.filter(Boolean).length / n;
    const runAttacks = restored ? [...restored.runAttacks] : [];
    const after = restored ? restored.robustAccuracyAfter.map((r) => ({ ...r })) : [];
    const accuracyNow = () => robust.filter(Boolean).length / n;
    let inProgress = restored?.inProgress;
    const snapshot = (): AutoAttackState => ({
      format: 'rftbench-autoattack-state/1',
      attacksToRun: [...list],
      runAttacks: [...runAttacks],
      robustFlags: [...robust],
      cleanAccuracy,
      robustAccuracyAfter: after.map((r) => ({ ...r })),
      ...(inProgress ? { inProgress } : {}),
    });
    saveState(o.state, snapshot());
    log(`${restored ? 'robust accuracy at the time of restoring the state' : 'initial accuracy'}: ${(accuracyNow() * 100).toFixed(2)}%`);

    const xAdvData = Float32Array.from(x.dataSync());
    const dim = xAdvData.length / Math.max(n, 1);
    const yAdv = Int32Array.from(cleanPred);
    const componentNotes: Record<string, unknown[]> = {};
    let zeroGradientPoints = 0;
    const root = new Rng(seed >>> 0);

    for (const name of list) {
      if (runAttacks.includes(name)) continue;
      // An attack interrupted mid-way goes on with the points it was given, from its next batch.
      const resuming = inProgress?.attack === name ? inProgress : undefined;
      const robustIdx = resuming ? [...resuming.points] : indicesOf(robust);
      if (robustIdx.length === 0) break;
      const attack = components.get(name)!;
      const batches = Math.ceil(robustIdx.length / o.batchSize);
      componentNotes[name] = [];
      for (let first = resuming ? resuming.batchesDone : 0; first < batches; first += width) {
        // Each (attack, batch) has its own seed, so a resumed run attacks a batch as a fresh one would.
        const jobs: BatchJob[] = [];
        for (let b = first; b < Math.min(batches, first + width); b++) jobs.push({ points: robustIdx.slice(b * o.batchSize, (b + 1) * o.batchSize), seed: root.fork(`${name}#${b}`).nextSeed() });
        const results = width > 1 ? yield { request: { component: name, jobs } } : [runHere(model, x, y, attack, jobs[0])];
        if (!results || results.length !== jobs.length) throw new Error(`autoattack: the batch runner returned ${results?.length ?? 0} results for ${jobs.length} batches`);
        for (let k = 0; k < jobs.length; k++) {
          const b = first + k;
          const idx = jobs[k].points;
          const { pred, xAdv: advData, notes } = results[k];
          let broken = 0;
          idx.forEach((j, q) => {
            if (pred[q] === labels[j]) return;
            robust[j] = false;
            xAdvData.set(advData.subarray(q * dim, (q + 1) * dim), j * dim);
            yAdv[j] = pred[q];
            broken++;
          });
          if (notes) {
            componentNotes[name].push(notes);
            const z = Number(notes.zeroGradientPoints ?? 0);
            if ((name === 'apgd-dlr' || name === 'apgd-t') && z > 0) zeroGradientPoints += z;
          }
          inProgress = { attack: name, points: robustIdx, batchesDone: b + 1 };
          saveState(o.state, snapshot());
          log(`${name} - ${b + 1}/${batches} - ${broken} out of ${idx.length} successfully perturbed`);
          yield { attack: name, batch: b + 1, batches, robustAccuracy: accuracyNow() };
        }
      }
      runAttacks.push(name);
      inProgress = undefined;
      after.push({ attack: name, robustAccuracy: accuracyNow() });
      saveState(o.state, snapshot());
      log(`robust accuracy after ${name.toUpperCase()}: ${(accuracyNow() * 100).toFixed(2)}%`);
    }

    if (o.checks) {
      flag(zeroGradientFlag(zeroGradientPoints, n, 'DLR-based APGD, at the start of its runs'));
      const byAttack: Record<string, number> = { clean: cleanAccuracy };
      for (const r of after) byAttack[r.attack] = r.robustAccuracy;
      flag(checkSquareSuccess(byAttack));
    }

    const xAdv = tf.tensor4d(xAdvData, x.shape);
    const norms = perturbationNorms(x, xAdv, o.norm);
    let maxPerturbation = 0;
    let nanCount = 0;
    for (const v of norms) {
      if (Number.isNaN(v)) nanCount++;
      else maxPerturbation = Math.max(maxPerturbation, v);
    }
    log(`max ${o.norm} perturbation: ${maxPerturbation.toFixed(5)}, nan in tensor: ${nanCount}`);
    log(`robust accuracy: ${(accuracyNow() * 100).toFixed(2)}%`);
    return {
      xAdv,
      yAdv,
      robustFlags: robust,
      cleanAccuracy,
      robustAccuracy: accuracyNow(),
      robustAccuracyAfter: after,
      attacks: list,
      flags,
      maxPerturbation,
      nanCount,
      resumed: restored !== undefined,
      componentNotes,
      options: recorded,
    };
  }

  const evaluate = (model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D, seed: number): AutoAttackReport => {
    const it = steps(model, x, y, seed);
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
    }
  };

  const isRequest = (v: Progress | BatchRequest): v is BatchRequest => 'request' in v;

  return {
    id: o.version === 'custom' ? `autoattack-custom(${list.join(',')})` : `autoattack-${o.version}`,
    norm: o.norm,
    eps: o.eps,
    attacks: list,
    options: recorded,
    evaluate,
    async evaluateAsync(model, x, y, seed, onProgress, runner) {
      const it = steps(model, x, y, seed, runner ? Math.max(1, runner.width) : 1);
      let answer: BatchDone[] | undefined;
      for (;;) {
        const r = it.next(answer);
        answer = undefined;
        if (r.done) return r.value;
        if (isRequest(r.value)) {
          answer = await runner!.run(r.value.request.component, r.value.request.jobs);
          continue;
        }
        onProgress?.(r.value);
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    run(model, x, y, seed): AttackResult {
      const r = evaluate(model, x, y, seed);
      return {
        xAdv: r.xAdv,
        notes: {
          cleanAccuracy: r.cleanAccuracy,
          robustAccuracy: r.robustAccuracy,
          robustAccuracyAfter: r.robustAccuracyAfter,
          flags: r.flags,
          maxPerturbation: r.maxPerturbation,
          resumed: r.resumed,
        },
      };
    },
  };
}
