/**
 * @module The one evaluation entry point: every model the harness scores (a fine-tuned cell, a source, a saved
 * model under `rftbench eval`, a kept model under `eval --cell`) is scored here (RobustBench's `benchmark`).
 * The metrics are plug-ins (protocol/metrics/registry.ts), run in their order on the first n test points in
 * eval mode, each adversarial example checked by the harness, each number with its 95% Wilson interval, and
 * each metric's details checked against its plug-in's schema.
 */
import type { DataSplit, LoadOptions } from '../../../datasets/types.ts';
import type { Classifier } from '../../foundation/models/classifier.ts';
import { checkMetricDetails, metricPlugins, type MetricPlugin } from '../../protocol/metrics/registry.ts';
import type { Threat } from '../../protocol/schema.ts';
import type { MetricValue } from './metric.ts';
import type { EvaluationConfig, MetricContext, MetricRunner } from './metric-runner.ts';
import type { StateStoreOrFile } from './autoattack-state-file.ts';
import { evaluationWorkers, openEvaluationPool } from './workers/attack-pool.ts';

export { accuracyMetric, type MetricValue } from './metric.ts';
export type { EvaluationConfig } from './metric-runner.ts';

export interface EvaluateOptions {
  readonly threat: Threat;
  /** A tier's `evaluation`, or part of one (PGD left out, one other attack, AutoAttack alone). */
  readonly evaluation: EvaluationConfig;
  readonly seed: number;
  readonly onBatch?: (done: number, total: number) => void;
  readonly log?: (line: string) => void;
  /** Worker threads for attack batches (default: evaluationWorkers()); 1 keeps them in this thread. */
  readonly workers?: number;
  /** The task's -C set, evaluated when the evaluation asks for corruption accuracy. */
  readonly corruptions?: { readonly dataset: string; readonly load?: LoadOptions };
  /** AutoAttack's seed as given instead of derived from `seed`, and its resumable per-point state. */
  readonly autoattack?: { readonly seed?: number; readonly state?: StateStoreOrFile };
}

export async function evaluateRobustness(
  model: Classifier,
  test: DataSplit,
  opts: EvaluateOptions,
): Promise<MetricValue[]> {
  const { workers, ...rest } = opts;
  const base: MetricContext = { ...rest, model, test, logits: (x) => model.forward(x), robustFlags: new Map() };
  const runners: { plugin: MetricPlugin; runner: MetricRunner }[] = [];
  for (const plugin of metricPlugins()) {
    const runner = await plugin.runner?.();
    if (runner?.applies(base)) runners.push({ plugin, runner });
  }
  const wasTraining = model.training;
  model.eval();
  const metrics: MetricValue[] = [];
  let ctx = base;
  try {
    // Attack batches are independent: they run across worker threads when the model can move there, with the
    // same results as in this thread; no more workers than the largest attack has batches to share out.
    const needs = runners.flatMap(({ runner: r }) => (r.poolNeed ? [r.poolNeed(base)] : []));
    if (needs.length) {
      const batches = Math.max(...needs.map((x) => x.batches));
      const points = Math.max(...needs.map((x) => x.points));
      const pool = await openEvaluationPool(model, test, points, {
        workers: Math.min(workers ?? evaluationWorkers(), batches),
        log: opts.log,
      });
      ctx = { ...base, pool };
    }
    for (const { plugin, runner } of runners) {
      const computed = await runner.run(ctx);
      for (const m of computed) checkMetricDetails(m.name, m.details, plugin);
      metrics.push(...computed);
    }
  } finally {
    ctx.pool?.release();
    model.train(wasTraining);
  }
  return metrics;
}
