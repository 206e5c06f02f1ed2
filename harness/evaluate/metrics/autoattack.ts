/**
 * @module AutoAttack on the first `autoattack.n` points, compared with PGD's outcome on them when PGD ran;
 * alone (no PGD, no other attack) it also gives clean accuracy from its own clean pass.
 */
import { autoAttackSeed } from '../../protocol/seeds.ts';
import { evaluateAutoAttack } from '../autoattack-metric.ts';
import { accuracyMetric } from '../metric.ts';
import type { MetricRunner } from '../metric-runner.ts';

export const runner: MetricRunner = {
  applies: (ctx) => ctx.evaluation.autoattack !== undefined,
  poolNeed(ctx) {
    const config = ctx.evaluation.autoattack!;
    const points = Math.min(config.n, ctx.test.n);
    return { points, batches: Math.ceil(points / config.batchSize) };
  },
  async run(ctx) {
    const config = ctx.evaluation.autoattack!;
    const seed = ctx.autoattack?.seed ?? autoAttackSeed(ctx.seed);
    const { threat, log, pool } = ctx;
    const pgdRobust = ctx.robustFlags.get('pgd');
    const aa = await evaluateAutoAttack(ctx.logits, ctx.test, {
      threat,
      config,
      seed,
      state: ctx.autoattack?.state,
      log,
      pgdRobust,
      pool,
    });
    const alone = !ctx.evaluation.pgd && !ctx.evaluation.attack;
    const n = aa.metric.n;
    const clean = alone ? [accuracyMetric('clean', Math.round(aa.report.cleanAccuracy * n), n)] : [];
    return [...clean, aa.metric, ...aa.components];
  },
};
