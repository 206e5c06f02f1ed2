/**
 * @module Corruption robustness (RobustBench's corruption metric): clean accuracy of the model on every
 * (corruption, severity) split of a -C test set, the first n points of each, reported per corruption (with
 * each severity in the details) and as the mean over all splits evaluated.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LogitsFn } from '../../../attacks/types.ts';
import { batchIndices, toBatch } from '../../../datasets/batches.ts';
import { getCorruptionDataset, getDataset } from '../../../datasets/registry.ts';
import { withPipeline } from '../../../datasets/batch-pipeline.ts';
import type { BatchPipeline, DataSplit, LoadOptions } from '../../../datasets/types.ts';
import { accuracyMetric, type MetricValue } from './metric.ts';

export interface CorruptionEvalOptions {
  /** A -C dataset id, optionally with a class selection: `cifar10-c`, `cifar10-c[0-4]`. */
  readonly dataset: string;
  /** First n points of each split. */
  readonly n: number;
  readonly batchSize: number;
  /** Corruptions to evaluate; default: the benchmark's 15. */
  readonly only?: readonly string[];
  readonly load?: LoadOptions;
  readonly log?: (line: string) => void;
  /** The clean test split's pipeline (the task's resize and channel rule): the corrupted images go through it too. */
  readonly pipeline?: BatchPipeline;
}

function correctOn(model: LogitsFn, split: DataSplit, n: number, batchSize: number): number {
  let correct = 0;
  for (const idx of batchIndices(Math.min(n, split.n), { batchSize })) {
    const { x, y } = toBatch(split, idx);
    const c = tf.tidy(
      () => tf.sum(tf.cast(tf.equal(tf.argMax(model(x), 1), tf.cast(y, 'int32')), 'int32')).dataSync()[0],
    );
    tf.dispose([x, y]);
    correct += c;
  }
  return correct;
}

export async function evaluateCorruptions(model: LogitsFn, opts: CorruptionEvalOptions): Promise<MetricValue[]> {
  const m = /^([^[\]]+)(\[[^\]]+\])?$/.exec(opts.dataset);
  if (!m) throw new Error(`corruption evaluation: bad dataset id '${opts.dataset}' (e.g. cifar10-c or cifar10-c[0-4])`);
  const [, base, classes = ''] = m;
  const set = getCorruptionDataset(base, opts.load);
  const list = opts.only ?? set.corruptions;
  for (const c of list) {
    if (![...set.corruptions, ...set.extraCorruptions].includes(c))
      throw new Error(`corruption evaluation: ${base} has no corruption '${c}' (${set.corruptions.join(', ')})`);
  }
  const metrics: MetricValue[] = [];
  let totalCorrect = 0;
  let totalN = 0;
  for (const corruption of list) {
    const perSeverity: { severity: number; accuracy: number; n: number }[] = [];
    let correct = 0;
    let n = 0;
    for (const severity of set.severities) {
      const loaded = await getDataset(`${base}:${corruption}:${severity}${classes}`, opts.load).load('test');
      const split = withPipeline(loaded, opts.pipeline);
      const k = Math.min(opts.n, split.n);
      const c = correctOn(model, split, k, opts.batchSize);
      perSeverity.push({ severity, accuracy: k ? c / k : 0, n: k });
      correct += c;
      n += k;
      await new Promise((r) => setImmediate(r));
    }
    opts.log?.(
      `corruption ${corruption}: ${perSeverity.map((p) => `s${p.severity} ${(p.accuracy * 100).toFixed(1)}%`).join(', ')}`,
    );
    metrics.push(accuracyMetric(`corruption/${corruption}`, correct, n, { dataset: opts.dataset, perSeverity }));
    totalCorrect += correct;
    totalN += n;
  }
  // The mean over every (corruption, severity) split, each weighted by its n (equal n: the plain mean).
  metrics.unshift(
    accuracyMetric('corruption', totalCorrect, totalN, {
      dataset: opts.dataset,
      corruptions: list,
      severities: set.severities,
      nPerSplit: opts.n,
      datasetVersion: set.version,
    }),
  );
  return metrics;
}
