/** @module The tier's PGD: clean accuracy and robust accuracy on the same batches (metrics `clean` and `pgd`). */
import { resolvePgd } from '../../../protocol/attack-specs.ts';
import { accuracyMetric } from '../metric.ts';
import type { MetricRunner } from '../metric-runner.ts';
import { perturbationFlags } from '../perturbation-check.ts';
import { attackPoints, scoreAttack } from './attack.ts';

export const runner: MetricRunner = {
  applies: (ctx) => ctx.evaluation.pgd !== undefined,
  poolNeed: attackPoints,
  async run(ctx) {
    const { threat } = ctx;
    const spec = resolvePgd(threat, ctx.evaluation.pgd!);
    const { n, clean, robust, stats } = await scoreAttack(ctx, spec);
    const { steps, alpha, restarts } = spec.options;
    return [
      accuracyMetric('clean', clean, n),
      accuracyMetric('pgd', robust, n, {
        attack: spec.id,
        norm: threat.norm,
        eps: threat.eps,
        steps,
        stepSize: alpha,
        restarts,
        maxPerturbation: stats.maxPerturbation,
        nanCount: stats.nanCount,
        outOfBoxCount: stats.outOfBoxCount,
        flags: perturbationFlags(stats),
      }),
    ];
  },
};
