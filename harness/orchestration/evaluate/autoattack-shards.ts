/**
 * @module One AutoAttack batch of an APGD component shared out by points, for when there are fewer
 * batches than workers (the quick tier's 100 points are one batch). The batch's plan (attacks/apgd-plan.ts)
 * runs here; its clean pass and each stage go to the shards, each drawing the stage's start noise whole and
 * keeping its rows, so the batch ends with the examples, classes and notes one worker gives it.
 */
import {
  apgdPlan,
  joinOutcomes,
  shardsOf,
  withExamples,
  type ApgdStage,
  type CleanLogits,
  type StageOutcome,
} from '../../../attacks/apgd-plan.ts';
import { stagedApgd, type StagedApgd } from '../../../attacks/apgd.ts';
import {
  componentAttack,
  type AutoAttackVersion,
  type BatchDone,
  type BatchJob,
  type Component,
  type ComponentOverrides,
} from '../../../attacks/autoattack.ts';
import type { Norm } from '../../../attacks/types.ts';

/**
 * The staged form of a component whose batches may be shared out by points: APGD under Linf. A shard's
 * forward passes see fewer rows than the whole batch's, and the wasm kernels round a row's logits and
 * gradient differently with the batch size (by an ulp; the cpu backend does not). Linf steps take only the
 * gradient's sign, so the examples come out the same (autoattack-shards.test.ts; 40 points x 100 APGD-T
 * iterations measured too), unless a loss comparison falls within that ulp; L2 steps carry it into them.
 */
export function shardableComponent(
  name: Component,
  config: { version: AutoAttackVersion; norm: Norm; eps: number; overrides?: ComponentOverrides },
): StagedApgd | undefined {
  if (config.norm !== 'Linf') return undefined;
  return stagedApgd(componentAttack(name, config.version, config.norm, config.eps, config.overrides));
}

/** The clean pass over some test points: logits [n*K], the points as the attack sees them, their labels. */
export interface CleanRows extends CleanLogits {
  readonly x: Float32Array;
  readonly y: Int32Array;
}

/** Where the shards run: each call's parts at once (in worker threads), answers in the parts' order. */
export interface ShardExecutor {
  clean(parts: readonly (readonly number[])[]): Promise<CleanRows[]>;
  /** Part p: the stage's rows `take` (positions in stage.rows), which are test points `points`. */
  stage(stage: ApgdStage, parts: readonly { points: number[]; take: number[] }[]): Promise<StageOutcome[]>;
}

function joinClean(parts: readonly CleanRows[]): CleanRows {
  const cat = <T extends Float32Array | Int32Array>(make: (n: number) => T, pick: (c: CleanRows) => T) => {
    const out = make(parts.reduce((s, c) => s + pick(c).length, 0));
    let at = 0;
    for (const c of parts) {
      out.set(pick(c), at);
      at += pick(c).length;
    }
    return out;
  };
  return {
    values: cat(
      (n) => new Float32Array(n),
      (c) => c.values,
    ),
    k: parts[0].k,
    x: cat(
      (n) => new Float32Array(n),
      (c) => c.x,
    ),
    y: cat(
      (n) => new Int32Array(n),
      (c) => c.y,
    ),
  };
}

/** Attacks `job` (its points and seed) in up to `shards` parts at a time; the outcome of one worker's run. */
export async function runBatchInShards(
  staged: StagedApgd,
  job: BatchJob,
  shards: number,
  exec: ShardExecutor,
): Promise<BatchDone> {
  const split = (count: number) => shardsOf(count, shards);
  const clean = joinClean(await exec.clean(split(job.points.length).map((part) => part.map((i) => job.points[i]))));
  const plan = apgdPlan(staged.shape, clean.y, job.seed);
  let answer: CleanLogits | StageOutcome | undefined;
  for (;;) {
    const r = plan.next(answer);
    if (r.done) return { pred: r.value.pred, xAdv: withExamples(clean.x, r.value.adv), notes: staged.notes(r.value) };
    if (r.value.kind === 'clean') {
      answer = clean;
      continue;
    }
    const { stage } = r.value;
    const parts = split(stage.rows.length).map((take) => ({
      points: take.map((j) => job.points[stage.rows[j]]),
      take,
    }));
    answer = joinOutcomes(await exec.stage(stage, parts));
  }
}
