/**
 * @module The fixed evaluation: every method's model is scored by this function only (RobustBench's
 * `benchmark`). Clean accuracy and PGD robust accuracy on the first n test points, in eval mode, with
 * every adversarial example checked by the harness and 95% Wilson intervals on each number; AutoAttack
 * on the first `evaluation.autoattack.n` points when the tier asks for it.
 */
import { createAttack } from '../../attacks/registry.ts';
import type { LogitsFn } from '../../attacks/types.ts';
import type { DataSplit, LoadOptions } from '../../datasets/types.ts';
import type { Classifier } from '../models/classifier.ts';
import type { Threat, Tier } from '../protocol/schema.ts';
import { attackAccuracyInWorkers, evaluationWorkers, openEvaluationPool, type AttackSpec, type EvaluationPool } from './workers/attack-pool.ts';
import { perturbationFlags } from './perturbation-check.ts';
import { evaluateAutoAttack } from './autoattack-metric.ts';
import { evaluateCorruptions } from './corruption-metric.ts';
import { accuracyMetric, type MetricValue } from './metric.ts';

export { accuracyMetric, type MetricValue } from './metric.ts';

export interface EvaluateOptions {
  readonly threat: Threat;
  readonly evaluation: Tier['evaluation'];
  readonly seed: number;
  readonly onBatch?: (done: number, total: number) => void;
  readonly log?: (line: string) => void;
  /** Worker threads for PGD and AutoAttack batches (default: evaluationWorkers()); 1 keeps them in this thread. */
  readonly workers?: number;
  /** The task's -C set, evaluated when the tier asks for corruption accuracy. */
  readonly corruptions?: { readonly dataset: string; readonly load?: LoadOptions };
}

/** The protocol's PGD (a tier's `evaluation.pgd`) at a threat. */
export function protocolPgd(threat: Threat, pgd: Tier['evaluation']['pgd']): AttackSpec {
  return { id: 'pgd', options: { norm: threat.norm, eps: threat.eps, alpha: pgd.stepSizeOverEps * threat.eps, steps: pgd.steps, restarts: pgd.restarts, randomStart: true } };
}

/** AutoAttack's seed in an evaluation with seed `seed` (PGD uses `seed` itself). */
export const autoAttackSeed = (seed: number) => seed * 7919 + 104729;

export async function evaluateRobustness(model: Classifier, test: DataSplit, opts: EvaluateOptions): Promise<MetricValue[]> {
  const { threat, evaluation, seed } = opts;
  const n = Math.min(evaluation.n, test.n);
  const wasTraining = model.training;
  model.eval();
  const logits: LogitsFn = (x) => model.forward(x);
  const pgdSpec = protocolPgd(threat, evaluation.pgd);
  const attack = createAttack(pgdSpec.id, pgdSpec.options);
  const extra: MetricValue[] = [];
  let pgdResult;
  let pool: EvaluationPool | undefined;
  try {
    // Attack batches are independent: PGD's, and AutoAttack's within a component, run across worker
    // threads when the model can move there, with the same results as in this thread; no more workers
    // than batches to share out (PGD's, or AutoAttack's first component's).
    const aa = evaluation.autoattack;
    const batches = Math.max(Math.ceil(n / evaluation.batchSize), aa ? Math.ceil(Math.min(aa.n, test.n) / aa.batchSize) : 0);
    pool = await openEvaluationPool(model, test, Math.max(n, aa?.n ?? 0), { workers: Math.min(opts.workers ?? evaluationWorkers(), batches), log: opts.log });
    pgdResult = await attackAccuracyInWorkers(model, test, { n, batchSize: evaluation.batchSize, attack: pgdSpec, threat, seed, workers: 1, pool, onBatch: opts.onBatch, log: opts.log });
    if (evaluation.autoattack) {
      const aa = await evaluateAutoAttack(logits, test, { threat, config: evaluation.autoattack, seed: autoAttackSeed(seed), log: opts.log, pgdRobust: pgdResult.robustFlags, pool });
      extra.push(aa.metric, ...aa.components);
    }
    if (evaluation.corruptions && opts.corruptions) {
      const c = evaluation.corruptions;
      // The -C images are the test images corrupted: they go through the test split's resize too.
      const { dataset, load } = opts.corruptions;
      const corruption = { dataset, n: c.n, batchSize: c.batchSize, only: c.only, load, log: opts.log, pipeline: test.pipeline };
      extra.push(...(await evaluateCorruptions(logits, corruption)));
    }
  } finally {
    pool?.release();
    model.train(wasTraining);
  }
  const { clean, robust, stats } = pgdResult;
  const flags = perturbationFlags(stats);
  return [
    accuracyMetric('clean', clean, n),
    accuracyMetric('pgd', robust, n, {
      attack: attack.id,
      norm: threat.norm,
      eps: threat.eps,
      steps: evaluation.pgd.steps,
      stepSize: evaluation.pgd.stepSizeOverEps * threat.eps,
      restarts: evaluation.pgd.restarts,
      maxPerturbation: stats.maxPerturbation,
      nanCount: stats.nanCount,
      outOfBoxCount: stats.outOfBoxCount,
      flags,
    }),
    ...extra,
  ];
}
