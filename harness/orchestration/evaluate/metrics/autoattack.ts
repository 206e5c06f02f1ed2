/**
 * @module AutoAttack on the first `autoattack.n` points, compared with PGD's outcome on them when PGD ran;
 * alone (no PGD, no other attack) it also gives clean accuracy from its own clean pass.
 */
import { attacksOf, type Component, type ComponentOverrides } from '../../../../attacks/autoattack.ts';
import { autoAttackSeed } from '../../../protocol/seeds.ts';
import { evaluateAutoAttack } from '../autoattack-metric.ts';
import { shardableComponent } from '../autoattack-shards.ts';
import { accuracyMetric } from '../metric.ts';
import type { MetricRunner } from '../metric-runner.ts';

export const runner: MetricRunner = {
  applies: (ctx) => ctx.evaluation.autoattack !== undefined,
  poolNeed(ctx) {
    const config = ctx.evaluation.autoattack!;
    const points = Math.min(config.n, ctx.test.n);
    // Linf APGD's batches can be shared out by points (autoattack-shards.ts): every point is a unit of work then.
    const component = { ...ctx.threat, version: config.version, overrides: config.overrides as ComponentOverrides };
    const byPoints = attacksOf(config.version, config.attacks as Component[] | undefined).some((c) =>
      shardableComponent(c, component),
    );
    return { points, batches: byPoints ? points : Math.ceil(points / config.batchSize) };
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
