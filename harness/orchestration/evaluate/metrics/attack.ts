/** @module Runs one attack by its registry id over the evaluation's points (`rftbench eval --attack`). */
import { createAttack } from '../../../../attacks/registry.ts';
import type { AttackSpec } from '../../../protocol/attack-specs.ts';
import type { AttackAccuracy } from '../attack-accuracy.ts';
import { accuracyMetric } from '../metric.ts';
import type { MetricContext, MetricRunner } from '../metric-runner.ts';
import { perturbationFlags } from '../perturbation-check.ts';
import { attackAccuracyInWorkers } from '../workers/attack-pool.ts';

/** The evaluation's points and batches, as every attack metric counts them. */
export function attackPoints(ctx: MetricContext): { points: number; batches: number } {
  const points = Math.min(ctx.evaluation.n, ctx.test.n);
  return { points, batches: Math.ceil(points / ctx.evaluation.batchSize) };
}

/** Clean and robust accuracy under `spec` on the evaluation's points, in the pool's workers when there is one. */
export async function scoreAttack(ctx: MetricContext, spec: AttackSpec): Promise<AttackAccuracy> {
  const { evaluation, threat, seed, pool, onBatch, log } = ctx;
  const r = await attackAccuracyInWorkers(ctx.model, ctx.test, {
    n: evaluation.n,
    batchSize: evaluation.batchSize,
    attack: spec,
    threat,
    seed,
    workers: 1,
    pool,
    onBatch,
    log,
  });
  ctx.robustFlags.set(spec.id, r.robustFlags);
  return r;
}

export const runner: MetricRunner = {
  applies: (ctx) => ctx.evaluation.attack !== undefined,
  poolNeed: attackPoints,
  async run(ctx) {
    const spec = ctx.evaluation.attack!;
    const attack = createAttack(spec.id, spec.options);
    const r = await scoreAttack(ctx, spec);
    const details = {
      attack: attack.id,
      options: attack.options,
      maxPerturbation: r.stats.maxPerturbation,
      flags: perturbationFlags(r.stats),
    };
    return [accuracyMetric('clean', r.clean, r.n), accuracyMetric(spec.id, r.robust, r.n, details)];
  },
};
