/**
 * @module Clean accuracy alone on the first n test points, batched as the harness's evaluation batches
 * them (same points, same batch boundaries), for re-checking a kept model without running an attack.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LogitsFn } from '../../../attacks/types.ts';
import { predict } from '../../../attacks/utils.ts';
import { batchIndices, toBatch } from '../../../datasets/batches.ts';
import type { DataSplit } from '../../../datasets/types.ts';
import { accuracyMetric, type MetricValue } from './metric.ts';

export function cleanAccuracy(model: LogitsFn, test: DataSplit, opts: { n: number; batchSize: number }): MetricValue {
  const n = Math.min(opts.n, test.n);
  let correct = 0;
  for (const idx of batchIndices(n, { batchSize: opts.batchSize })) {
    const { x, y } = toBatch(test, idx);
    try {
      const labels = y.dataSync();
      const pred = predict(model, x);
      for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) correct++;
    } finally {
      tf.dispose([x, y]);
    }
  }
  return accuracyMetric('clean', correct, n);
}
