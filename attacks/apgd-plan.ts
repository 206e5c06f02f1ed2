/**
 * @module APGD's sequence of single runs on one batch, apart from the runs themselves. A batch's attack is
 * a clean pass, then stages: one single run per restart (and per target, APGD-T) on the points still
 * correctly classified, each with the next seed of the attack's stream. Every row of a single run is
 * computed on its own except the start noise, drawn for the whole stage; so a stage's rows can be shared
 * out (shards), each drawing the stage's noise and keeping its own rows, and end exactly as the whole
 * stage would. `apgd`/`apgdT` drive this plan in one thread; the evaluation pool drives it across workers
 * when a batch is all there is to share (harness/orchestration/evaluate/autoattack-shards.ts).
 *
 * Shapes: logits row-major [N*K]; examples row-major [N*H*W*C].
 */
import { attackRng, indicesOf, rankedClass } from './utils.ts';

/** One single run: its rows (batch positions, ascending), seed, the model's classes and APGD-T's targets per row. */
export interface ApgdStage {
  readonly rows: readonly number[];
  readonly seed: number;
  readonly classes: number;
  readonly targets?: Int32Array;
}

/** What a single run gives back for the rows it ran (all of a stage, or a shard of it), in their order. */
export interface StageOutcome {
  /** 1 where the run misclassified the row at some iteration. */
  readonly fooled: Uint8Array;
  /** Per row its latest misclassified point (the start point where none). */
  readonly xAdv: Float32Array;
  /** Per row the model's class on that point, from the forward that found it. */
  readonly pred: Int32Array;
  /** Rows whose gradient at the start point was exactly zero. */
  readonly zeroGradients: number;
}

/** The clean pass: logits [N*K] of the batch. */
export interface CleanLogits {
  readonly values: Float32Array;
  readonly k: number;
}

export type PlanRequest = { readonly kind: 'clean' } | { readonly kind: 'stage'; readonly stage: ApgdStage };

export interface PlanResult {
  readonly clean: CleanLogits;
  /** Per batch point: the adversarial example found (a stage's row), or undefined (the clean point stays). */
  readonly adv: (Float32Array | undefined)[];
  /** Per batch point: the model's class on its example (the clean class where none was found). */
  readonly pred: Int32Array;
  /** Largest count of zero start gradients over the stages. */
  readonly zeroGradients: number;
}

/** Which stages an attack runs: APGD restart after restart; APGD-T that for each of `targets` ranks. */
export interface PlanShape {
  readonly name: 'apgd' | 'apgdT';
  readonly restarts: number;
  /** APGD-T: targets tried (capped at classes - 1 once the classes are known). */
  readonly nTargetClasses?: number;
}

function argmaxRow(values: Float32Array, k: number, i: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (values[i * k + j] > values[i * k + best]) best = j;
  return best;
}

/** Rows `idx` of row-major logits [N*K]. */
function logitRows(values: Float32Array, k: number, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length * k);
  idx.forEach((i, r) => out.set(values.subarray(i * k, (i + 1) * k), r * k));
  return out;
}

/** The targets APGD-T tries, capped by the classes. */
export const targetCount = (shape: PlanShape, classes: number) => Math.min(shape.nTargetClasses ?? 9, classes - 1);

/**
 * The plan for a batch with `labels` and the attack's `seed`: asks for the clean logits, then for each stage's
 * outcome, and returns per point the example found. Seeds are drawn only for stages with points, as before.
 */
export function* apgdPlan(
  shape: PlanShape,
  labels: Int32Array,
  seed: number,
): Generator<PlanRequest, PlanResult, CleanLogits | StageOutcome | undefined> {
  const rng = attackRng(shape.name, seed);
  const clean = (yield { kind: 'clean' }) as CleanLogits;
  const { values, k } = clean;
  const n = labels.length;
  const pred = Int32Array.from({ length: n }, (_, i) => argmaxRow(values, k, i));
  const acc = Uint8Array.from(pred, (p, i) => (p === labels[i] ? 1 : 0));
  const adv: (Float32Array | undefined)[] = new Array(n).fill(undefined);
  let zeroGradients = 0;
  // APGD-T: the rank-th most likely class of the clean point (rank 2 = runner-up). The reference runs the
  // model on the points left for each target; their rows of the clean logits are the same numbers.
  const ranks = shape.name === 'apgdT' ? Array.from({ length: targetCount(shape, k) }, (_, i) => i + 2) : [0];
  for (const rank of ranks) {
    for (let r = 0; r < shape.restarts; r++) {
      const rows = indicesOf(acc);
      if (rows.length === 0) break;
      const targets = rank ? rankedClass(logitRows(values, k, rows), k, rank) : undefined;
      const stage: ApgdStage = { rows, seed: rng.nextSeed(), classes: k, ...(targets ? { targets } : {}) };
      const out = (yield { kind: 'stage', stage }) as StageOutcome;
      zeroGradients = Math.max(zeroGradients, out.zeroGradients);
      const dim = out.xAdv.length / rows.length;
      rows.forEach((e, j) => {
        if (!out.fooled[j]) return;
        adv[e] = out.xAdv.slice(j * dim, (j + 1) * dim);
        pred[e] = out.pred[j];
        acc[e] = 0;
      });
    }
  }
  return { clean, adv, pred, zeroGradients };
}

/** A copy of the clean examples `clean` (row-major) with the rows a plan found replaced. */
export function withExamples(clean: Float32Array, adv: readonly (Float32Array | undefined)[]): Float32Array {
  const out = Float32Array.from(clean);
  const dim = clean.length / adv.length;
  adv.forEach((row, e) => {
    if (row) out.set(row, e * dim);
  });
  return out;
}

/** `parts` contiguous, non-empty runs of 0..count-1 (fewer when count is smaller). */
export function shardsOf(count: number, parts: number): number[][] {
  const p = Math.max(1, Math.min(parts, count));
  const out: number[][] = [];
  for (let s = 0; s < p; s++) {
    const from = Math.floor((s * count) / p);
    const to = Math.floor(((s + 1) * count) / p);
    out.push(Array.from({ length: to - from }, (_, i) => from + i));
  }
  return out;
}

/** Shard outcomes (in shard order, covering a stage's rows in order) as the stage's outcome. */
export function joinOutcomes(parts: readonly StageOutcome[]): StageOutcome {
  const cat = <T extends Uint8Array | Int32Array | Float32Array>(
    make: (n: number) => T,
    pick: (o: StageOutcome) => T,
  ) => {
    const out = make(parts.reduce((s, o) => s + pick(o).length, 0));
    let at = 0;
    for (const o of parts) {
      out.set(pick(o), at);
      at += pick(o).length;
    }
    return out;
  };
  return {
    fooled: cat(
      (n) => new Uint8Array(n),
      (o) => o.fooled,
    ),
    xAdv: cat(
      (n) => new Float32Array(n),
      (o) => o.xAdv,
    ),
    pred: cat(
      (n) => new Int32Array(n),
      (o) => o.pred,
    ),
    // Zero gradients are counted per row, so a stage's count is the sum of its shards'.
    zeroGradients: parts.reduce((s, o) => s + o.zeroGradients, 0),
  };
}
