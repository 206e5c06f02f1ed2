/**
 * @module AutoAttack as a harness metric: the first n test points, the configured version, every
 * adversarial example re-checked by the harness (box, eps, NaN), and the sanity flags, per-component
 * robust accuracy and fallbacks kept in the metric's details, so the board shows what the number means.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AutoAttackReport, ComponentOverrides, Component, Progress } from '../../../attacks/autoattack.ts';
import type { LogitsFn } from '../../../attacks/types.ts';
import { toBatch } from '../../../datasets/batches.ts';
import type { DataSplit } from '../../../datasets/types.ts';
import type { AutoAttackEvaluation, Threat } from '../../protocol/schema.ts';
import { resumableAutoAttack, type StateStoreOrFile } from './autoattack-state-file.ts';
import { accuracyMetric, type MetricValue } from './metric.ts';
import { autoAttackRunner, type EvaluationPool } from './workers/attack-pool.ts';
import { checkPerturbation, emptyStats, perturbationFlags } from './perturbation-check.ts';

export interface AutoAttackMetricOptions {
  readonly threat: Threat;
  readonly config: AutoAttackEvaluation;
  readonly seed: number;
  /** Per-point state file or store, so a long evaluation resumes where it stopped. */
  readonly state?: StateStoreOrFile;
  readonly log?: (line: string) => void;
  readonly onProgress?: (p: Progress) => void;
  /** PGD's per-point outcome (1 = robust) on the same test points, when the harness ran it first. */
  readonly pgdRobust?: Uint8Array;
  /** Worker threads holding the model: each component's batches run there, several at a time, with the results of one at a time. */
  readonly pool?: EvaluationPool;
}

export interface AutoAttackMetricResult {
  readonly metric: MetricValue;
  /** `autoattack/<component>`: robust accuracy after each component, in the order run. */
  readonly components: MetricValue[];
  readonly report: Omit<AutoAttackReport, 'xAdv'>;
}

/** Runs AutoAttack on the first `config.n` points of `test` and returns the `autoattack` metric. */
export async function evaluateAutoAttack(
  model: LogitsFn,
  test: DataSplit,
  opts: AutoAttackMetricOptions,
): Promise<AutoAttackMetricResult> {
  const { threat, config } = opts;
  const n = Math.min(config.n, test.n);
  const attack = resumableAutoAttack({
    norm: threat.norm,
    eps: threat.eps,
    version: config.version,
    attacks: config.attacks as Component[] | undefined,
    batchSize: config.batchSize,
    overrides: config.overrides as ComponentOverrides | undefined,
    state: opts.state,
    log: opts.log,
  });
  const { x, y } = toBatch(
    test,
    Int32Array.from({ length: n }, (_, i) => i),
  );
  try {
    const runner =
      opts.pool &&
      autoAttackRunner(
        opts.pool,
        {
          version: config.version,
          norm: threat.norm,
          eps: threat.eps,
          overrides: config.overrides as ComponentOverrides | undefined,
        },
        { model, x, y },
      );
    const report = await attack.evaluateAsync(model, x, y, opts.seed, opts.onProgress, runner);
    const { xAdv, ...rest } = report;
    const stats = checkPerturbation(x, xAdv, threat, emptyStats());
    xAdv.dispose();
    const robust = report.robustFlags.filter(Boolean).length;
    // A weaker-than-PGD AutoAttack on the same points means something is wrong with the evaluation.
    const pgdSame =
      opts.pgdRobust && opts.pgdRobust.length >= n
        ? opts.pgdRobust.subarray(0, n).reduce((a, b) => a + b, 0) / n
        : undefined;
    const survivedOnlyAa = opts.pgdRobust
      ? report.robustFlags.filter((r, i) => r && opts.pgdRobust![i] === 0).length
      : 0;
    const checkFlags = [
      ...perturbationFlags(stats),
      ...(survivedOnlyAa ? [`autoattack-missed-pgd-examples:${survivedOnlyAa}`] : []),
    ];
    const metric = accuracyMetric('autoattack', robust, n, {
      attack: attack.id,
      version: config.version,
      attacks: report.attacks,
      norm: threat.norm,
      eps: threat.eps,
      cleanAccuracy: report.cleanAccuracy,
      robustAccuracyAfter: report.robustAccuracyAfter,
      sanityFlags: report.flags,
      components: attack.options.components,
      maxPerturbation: stats.maxPerturbation,
      nanCount: stats.nanCount,
      outOfBoxCount: stats.outOfBoxCount,
      flags: checkFlags,
      ...(pgdSame === undefined
        ? {}
        : { pgdAccuracyOnSamePoints: pgdSame, pointsRobustToAutoAttackButNotPgd: survivedOnlyAa }),
      resumed: report.resumed,
    });
    const components = report.robustAccuracyAfter.map((step) =>
      accuracyMetric(`autoattack/${step.attack}`, Math.round(step.robustAccuracy * n), n, {
        attack: step.attack,
        version: config.version,
      }),
    );
    return { metric, components, report: rest };
  } finally {
    tf.dispose([x, y]);
  }
}
