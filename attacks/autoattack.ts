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
 * Before attacking it runs the sanity checks (checks.ts) and records their flags. Two parts are injected,
 * so the algorithm reads no file and knows no thread: a state store, given the per-point state (robust
 * flags, attacks done) after every batch and asked for it at the start (default: in memory, for one
 * evaluation; the harness keeps it in a file), and a batch runner that attacks a component's batches
 * (default: in this thread, one at a time; the harness hands them to its worker pool).
 *
 * @example
 * const aa = autoAttack({ norm: 'Linf', eps: 8 / 255 });
 * const report = aa.evaluate(logits, x, y, seed);
 * report.robustAccuracy; report.robustAccuracyAfter; report.flags; report.xAdv.dispose();
 */
import * as tf from '@tensorflow/tfjs-core';
import { apgd, apgdT, DEFAULT_EPS, type ApgdOptions, type ApgdTOptions } from './apgd.ts';
import {
  checkNumClasses,
  checkRandomized,
  checkRangeOutput,
  checkSquareSuccess,
  zeroGradientFlag,
  type CheckFlag,
} from './checks.ts';
import { fab, type FabOptions } from './fab.ts';
import { square, type SquareOptions } from './square.ts';
import type { Attack, AttackResult, LogitsFn, Norm } from './types.ts';
import {
  assertBatch,
  assertCount,
  assertNorm,
  assertPositive,
  attackRng,
  indicesOf,
  labelsOf,
  perturbationNorms,
  predict,
  takeRows,
} from './utils.ts';
import { COMPONENTS, VERSIONS, type AutoAttackVersion, type Component } from './autoattack-components.ts';

export { COMPONENTS, VERSIONS, type AutoAttackVersion, type Component } from './autoattack-components.ts';

/** The format tag of a saved state; a state with another one is refused. */
export const STATE_FORMAT = 'rftbench-autoattack-state/1';

/** Per-point state that lets a long evaluation resume (AutoAttack's EvaluationState). */
export interface AutoAttackState {
  readonly format: typeof STATE_FORMAT;
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

/**
 * Where the per-point state lives: `save` gets it at the start and after every batch, `load` gives back the
 * last one saved (undefined when there is none) and the evaluation resumes from it.
 */
export interface AutoAttackStateStore {
  load(): AutoAttackState | undefined;
  save(state: AutoAttackState): void;
}

/** The state kept in memory: a run resumes from it within this process only. */
export function memoryStateStore(initial?: AutoAttackState): AutoAttackStateStore {
  let saved = initial;
  return {
    load: () => saved,
    save: (state) => {
      saved = state;
    },
  };
}

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
  /** Where the per-point state is saved and resumed from. @default a fresh memoryStateStore per evaluation */
  readonly state?: AutoAttackStateStore;
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
 * Attacks batches of one component, up to `width` at once, and answers with their outcomes in the order of
 * `jobs`. Batches are independent (each has its own points and seed) and the evaluation applies outcomes
 * in batch order, so results and saved states are those of one batch at a time, whoever ran them.
 */
export interface AutoAttackBatchRunner {
  readonly width: number;
  run(component: Component, jobs: readonly BatchJob[]): BatchDone[] | Promise<BatchDone[]>;
}

/** A runner that answers at once, as the synchronous `evaluate` needs. */
export interface SyncBatchRunner extends AutoAttackBatchRunner {
  run(component: Component, jobs: readonly BatchJob[]): BatchDone[];
}

/** The default runner: each batch attacked in this thread, one at a time. */
export function inThreadRunner(
  model: LogitsFn,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  attackOf: (component: Component) => Attack,
): SyncBatchRunner {
  const runOne = (attack: Attack, job: BatchJob): BatchDone => {
    const xb = takeRows(x, job.points);
    const yb = takeRows(y, job.points);
    let xAdv: tf.Tensor4D | undefined;
    try {
      const result: AttackResult = attack.run(model, xb, yb, job.seed);
      xAdv = result.xAdv;
      return { pred: predict(model, xAdv), xAdv: xAdv.dataSync() as Float32Array, notes: result.notes };
    } finally {
      tf.dispose(xAdv ? [xb, yb, xAdv] : [xb, yb]);
    }
  };
  return { width: 1, run: (component, jobs) => jobs.map((job) => runOne(attackOf(component), job)) };
}

interface BatchRequest {
  readonly request: { readonly component: Component; readonly jobs: BatchJob[] };
}

export interface AutoAttack extends Attack {
  readonly attacks: readonly Component[];
  /** The whole evaluation, synchronously, in this thread. */
  evaluate(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D, seed: number): AutoAttackReport;
  /** The same, yielding to the event loop between batches; `runner` attacks the batches (default: in this thread). */
  evaluateAsync(
    model: LogitsFn,
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    seed: number,
    onProgress?: (p: Progress) => void,
    runner?: AutoAttackBatchRunner,
  ): Promise<AutoAttackReport>;
}

/** The attack list of a version; a custom list with a non-custom version is an error, as in the reference. */
export function attacksOf(version: AutoAttackVersion, attacks?: readonly string[]): Component[] {
  if (version !== 'custom') {
    if (!(version in VERSIONS))
      throw new Error(`autoattack: unknown version '${version}' (standard, plus, rand, custom)`);
    if (attacks?.length)
      throw new Error(
        `autoattack: an attack list is only allowed with version 'custom' (got version '${version}'); version '${version}' runs ${VERSIONS[version].join(', ')}`,
      );
    return [...VERSIONS[version]];
  }
  if (!attacks || attacks.length === 0)
    throw new Error("autoattack: version 'custom' needs a non-empty list of attacks");
  for (const a of attacks) {
    if (!(COMPONENTS as readonly string[]).includes(a))
      throw new Error(`autoattack: unknown attack '${a}' (known: ${COMPONENTS.join(', ')})`);
  }
  if (new Set(attacks).size !== attacks.length)
    throw new Error(`autoattack: attack list has duplicates: ${attacks.join(', ')}`);
  return [...attacks] as Component[];
}

/** The component attacks with the settings of a version (AutoAttack's constructor + set_version). */
export function componentAttack(
  name: Component,
  version: AutoAttackVersion,
  norm: Norm,
  eps: number,
  overrides: ComponentOverrides = {},
): Attack {
  const rand = version === 'rand';
  const apgdRestarts = version === 'standard' || rand ? 1 : 5;
  switch (name) {
    case 'apgd-ce':
    case 'apgd-dlr':
      return apgd({
        nIter: 100,
        restarts: apgdRestarts,
        rho: 0.75,
        eotIter: rand ? 20 : 1,
        ...overrides.apgd,
        norm,
        eps,
        loss: name === 'apgd-ce' ? 'ce' : 'dlr',
      });
    case 'apgd-t':
      return apgdT({
        nIter: 100,
        restarts: 1,
        nTargetClasses: 9,
        rho: 0.75,
        eotIter: 1,
        ...overrides.apgdT,
        norm,
        eps,
      });
    case 'fab':
      return fab({
        nIter: 100,
        restarts: version === 'standard' ? 1 : 5,
        nTargetClasses: 9,
        ...overrides.fab,
        norm,
        eps,
        targeted: false,
      });
    case 'fab-t':
      return fab({ nIter: 100, restarts: 1, nTargetClasses: 9, ...overrides.fab, norm, eps, targeted: true });
    case 'square':
      return square({
        nQueries: 5000,
        pInit: 0.8,
        restarts: 1,
        rescaleSchedule: false,
        ...overrides.square,
        norm,
        eps,
      });
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v) => b.includes(v));

/** `state` must be a store: a file path (options through the registry) is refused, files being the harness's. */
function assertStateStore(state: unknown): void {
  if (state === undefined) return;
  const s = state as Partial<AutoAttackStateStore> | null;
  if (typeof s === 'object' && s !== null && typeof s.load === 'function' && typeof s.save === 'function') return;
  const got = typeof state === 'string' ? `the string '${state}'` : String(state);
  throw new Error(
    `autoattack: option 'state' must be a state store with load() and save(), got ${got}; a state file is the harness's (fileStateStore, rftbench eval --state FILE)`,
  );
}

export function resolveAutoAttackOptions(options: Partial<AutoAttackOptions>): AutoAttackOptions {
  const norm = options.norm ?? 'Linf';
  const o: AutoAttackOptions = {
    norm,
    eps: DEFAULT_EPS[norm],
    version: 'standard',
    batchSize: 250,
    checks: true,
    ...options,
  };
  assertNorm('autoattack', o.norm);
  assertPositive('autoattack', { eps: o.eps });
  assertCount('autoattack', { batchSize: o.batchSize });
  assertStateStore(o.state);
  return o;
}

/** The saved state to resume from, checked against this evaluation; undefined starts afresh. */
function restoredState(
  store: AutoAttackStateStore,
  list: readonly Component[],
  n: number,
  log: (line: string) => void,
): AutoAttackState | undefined {
  const restored = store.load();
  if (!restored) return undefined;
  if (!sameSet(restored.attacksToRun, list)) {
    throw new Error(
      `autoattack: the saved state was made for attacks [${restored.attacksToRun.join(', ')}], not [${list.join(', ')}]; wrong state file?`,
    );
  }
  if (restored.robustFlags.length !== n)
    throw new Error(`autoattack: the saved state has ${restored.robustFlags.length} points, the batch ${n}`);
  log(
    `restored state: ${restored.runAttacks.length ? restored.runAttacks.join(', ') : 'no attack'} already run; only this run's adversarial examples are returned`,
  );
  return restored;
}

/** The reference's checks before attacking, on the first batch (the output range is always looked at). */
function checksBefore(
  model: LogitsFn,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  o: AutoAttackOptions,
  components: ReadonlyMap<Component, Attack>,
  flag: (f: CheckFlag | undefined) => void,
): void {
  const first = Array.from({ length: Math.min(o.batchSize, x.shape[0]) }, (_, i) => i);
  const head = takeRows(x, first);
  const headY = takeRows(y, first);
  try {
    if (o.checks && o.version !== 'rand') flag(checkRandomized(model, head, headY));
    const range = checkRangeOutput(model, head);
    if (o.checks) {
      flag(range.flag);
      const targets = (c: Component) => Number(components.get(c)?.options.nTargetClasses ?? 9);
      flag(checkNumClasses(range.numClasses, [...components.keys()], targets('apgd-t'), targets('fab-t')));
    }
  } finally {
    tf.dispose([head, headY]);
  }
}

/** The reference's checks after attacking: DLR's zero gradients, Square beating the white-box attacks. */
function checksAfter(
  zeroGradientPoints: number,
  n: number,
  cleanAccuracy: number,
  after: readonly { attack: string; robustAccuracy: number }[],
  flag: (f: CheckFlag | undefined) => void,
): void {
  flag(zeroGradientFlag(zeroGradientPoints, n, 'DLR-based APGD, at the start of its runs'));
  const byAttack: Record<string, number> = { clean: cleanAccuracy };
  for (const r of after) byAttack[r.attack] = r.robustAccuracy;
  flag(checkSquareSuccess(byAttack));
}

function cleanPredictions(model: LogitsFn, x: tf.Tensor4D, batchSize: number): Int32Array {
  const n = x.shape[0];
  const pred = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const xb = takeRows(
      x,
      Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i),
    );
    pred.set(predict(model, xb), start);
    xb.dispose();
  }
  return pred;
}

/** The largest perturbation (NaN rows left out) and the number of NaN rows. */
function perturbationSummary(
  x: tf.Tensor4D,
  xAdv: tf.Tensor4D,
  norm: Norm,
): { maxPerturbation: number; nanCount: number } {
  let maxPerturbation = 0;
  let nanCount = 0;
  for (const v of perturbationNorms(x, xAdv, norm)) {
    if (Number.isNaN(v)) nanCount++;
    else maxPerturbation = Math.max(maxPerturbation, v);
  }
  return { maxPerturbation, nanCount };
}

/** The worst case so far, per point: robust flags, adversarial examples (row-major) and predictions on them. */
interface WorstCase {
  readonly robust: boolean[];
  readonly xAdvData: Float32Array;
  readonly yAdv: Int32Array;
}

/** Marks the points a batch fooled as broken and keeps their examples; returns how many it fooled. */
function applyBatch(done: BatchDone, points: readonly number[], labels: Int32Array, worst: WorstCase): number {
  const dim = worst.xAdvData.length / worst.robust.length;
  let broken = 0;
  points.forEach((j, q) => {
    if (done.pred[q] === labels[j]) return;
    worst.robust[j] = false;
    worst.xAdvData.set(done.xAdv.subarray(q * dim, (q + 1) * dim), j * dim);
    worst.yAdv[j] = done.pred[q];
    broken++;
  });
  return broken;
}

const isRequest = (v: Progress | BatchRequest): v is BatchRequest => 'request' in v;

/** AutoAttack with the reference's versions; `run` returns the worst case, `evaluate` the full report. */
export function autoAttack(options: Partial<AutoAttackOptions> = {}): AutoAttack {
  const o = resolveAutoAttackOptions(options);
  const list = attacksOf(o.version, o.attacks);
  const components = new Map(list.map((a) => [a, componentAttack(a, o.version, o.norm, o.eps, o.overrides)]));
  const attackOf = (name: Component): Attack => {
    const attack = components.get(name);
    if (!attack) throw new Error(`autoattack: no component '${name}' in [${list.join(', ')}]`);
    return attack;
  };
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

  // The algorithm. It yields a request for each group of up to `width` batches (the driver answers through
  // next() with the runner's outcomes) and progress after each batch applied.
  function* steps(
    model: LogitsFn,
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    seed: number,
    width: number,
  ): Generator<Progress | BatchRequest, AutoAttackReport, BatchDone[] | undefined> {
    assertBatch('autoattack', x, y);
    const root = attackRng('autoattack', seed);
    const n = x.shape[0];
    if (n === 0) throw new Error('autoattack: the batch is empty');
    const labels = labelsOf(y);
    const flags: CheckFlag[] = [];
    const flag = (f: CheckFlag | undefined) => {
      if (!f) return;
      flags.push(f);
      log(`Warning: ${f.message}`);
    };

    const store = o.state ?? memoryStateStore();
    const restored = restoredState(store, list, n, log);
    checksBefore(model, x, y, o, components, flag);
    const cleanPred = cleanPredictions(model, x, o.batchSize);
    const robust = restored ? restored.robustFlags.map(Boolean) : Array.from(cleanPred, (p, i) => p === labels[i]);
    const cleanAccuracy = restored ? restored.cleanAccuracy : robust.filter(Boolean).length / n;
    const runAttacks = restored ? [...restored.runAttacks] : [];
    const after = restored ? restored.robustAccuracyAfter.map((r) => ({ ...r })) : [];
    const accuracyNow = () => robust.filter(Boolean).length / n;
    let inProgress = restored?.inProgress;
    const snapshot = (): AutoAttackState => ({
      format: STATE_FORMAT,
      attacksToRun: [...list],
      runAttacks: [...runAttacks],
      robustFlags: [...robust],
      cleanAccuracy,
      robustAccuracyAfter: after.map((r) => ({ ...r })),
      ...(inProgress ? { inProgress } : {}),
    });
    store.save(snapshot());
    log(
      `${restored ? 'robust accuracy at the time of restoring the state' : 'initial accuracy'}: ${(accuracyNow() * 100).toFixed(2)}%`,
    );

    const xAdvData = Float32Array.from(x.dataSync());
    const yAdv = Int32Array.from(cleanPred);
    const componentNotes: Record<string, unknown[]> = {};
    let zeroGradientPoints = 0;

    for (const name of list) {
      if (runAttacks.includes(name)) continue;
      // An attack interrupted mid-way goes on with the points it was given, from its next batch.
      const resuming = inProgress?.attack === name ? inProgress : undefined;
      const robustIdx = resuming ? [...resuming.points] : indicesOf(robust);
      if (robustIdx.length === 0) break;
      const batches = Math.ceil(robustIdx.length / o.batchSize);
      componentNotes[name] = [];
      for (let first = resuming ? resuming.batchesDone : 0; first < batches; first += width) {
        // Each (attack, batch) has its own seed, so a resumed run attacks a batch as a fresh one would.
        const jobs: BatchJob[] = [];
        for (let b = first; b < Math.min(batches, first + width); b++)
          jobs.push({
            points: robustIdx.slice(b * o.batchSize, (b + 1) * o.batchSize),
            seed: root.fork(`${name}#${b}`).nextSeed(),
          });
        const results = yield { request: { component: name, jobs } };
        if (!results || results.length !== jobs.length)
          throw new Error(
            `autoattack: the batch runner returned ${results?.length ?? 0} results for ${jobs.length} batches`,
          );
        for (let k = 0; k < jobs.length; k++) {
          const b = first + k;
          const idx = jobs[k].points;
          const notes = results[k].notes;
          const broken = applyBatch(results[k], idx, labels, { robust, xAdvData, yAdv });
          if (notes) {
            componentNotes[name].push(notes);
            const z = Number(notes.zeroGradientPoints ?? 0);
            if ((name === 'apgd-dlr' || name === 'apgd-t') && z > 0) zeroGradientPoints += z;
          }
          inProgress = { attack: name, points: robustIdx, batchesDone: b + 1 };
          store.save(snapshot());
          log(`${name} - ${b + 1}/${batches} - ${broken} out of ${idx.length} successfully perturbed`);
          yield { attack: name, batch: b + 1, batches, robustAccuracy: accuracyNow() };
        }
      }
      runAttacks.push(name);
      inProgress = undefined;
      after.push({ attack: name, robustAccuracy: accuracyNow() });
      store.save(snapshot());
      log(`robust accuracy after ${name.toUpperCase()}: ${(accuracyNow() * 100).toFixed(2)}%`);
    }

    if (o.checks) checksAfter(zeroGradientPoints, n, cleanAccuracy, after, flag);
    const xAdv = tf.tensor4d(xAdvData, x.shape);
    const { maxPerturbation, nanCount } = perturbationSummary(x, xAdv, o.norm);
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
    const runner = inThreadRunner(model, x, y, attackOf);
    const it = steps(model, x, y, seed, runner.width);
    let answer: BatchDone[] | undefined;
    for (;;) {
      const r = it.next(answer);
      answer = undefined;
      if (r.done) return r.value;
      if (isRequest(r.value)) answer = runner.run(r.value.request.component, r.value.request.jobs);
    }
  };

  return {
    id: o.version === 'custom' ? `autoattack-custom(${list.join(',')})` : `autoattack-${o.version}`,
    norm: o.norm,
    eps: o.eps,
    attacks: list,
    options: recorded,
    evaluate,
    async evaluateAsync(model, x, y, seed, onProgress, runner = inThreadRunner(model, x, y, attackOf)) {
      const it = steps(model, x, y, seed, Math.max(1, runner.width));
      let answer: BatchDone[] | undefined;
      for (;;) {
        const r = it.next(answer);
        answer = undefined;
        if (r.done) return r.value;
        if (isRequest(r.value)) {
          answer = await runner.run(r.value.request.component, r.value.request.jobs);
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
