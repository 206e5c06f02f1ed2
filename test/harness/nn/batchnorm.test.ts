import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2d } from '../../../harness/nn/layers.ts';
import { useCpuBackend } from '../../support/tf.ts';

beforeAll(useCpuBackend);

describe('BatchNorm2d (PyTorch semantics)', () => {
  it('normalises with batch statistics in training and updates running stats with momentum 0.1 and unbiased variance', () => {
    const bn = new BatchNorm2d(1);
    // One channel, values 1..4: mean 2.5, biased var 1.25, unbiased var 5/3.
    const x = tf.tensor4d([1, 2, 3, 4], [4, 1, 1, 1]);
    const y = tf.tidy(() => bn.train().forward(x));
    const expected = [1, 2, 3, 4].map((v) => (v - 2.5) / Math.sqrt(1.25 + 1e-5));
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(bn.runningMean.dataSync()[0]).toBeCloseTo(0.25, 6); // 0.9 * 0 + 0.1 * 2.5
    expect(bn.runningVar.dataSync()[0]).toBeCloseTo(0.9 + 0.1 * (5 / 3), 6);
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(1);
    // Eval mode uses the running statistics and changes nothing.
    const ye = tf.tidy(() => bn.eval().forward(x));
    expect(ye.dataSync()[0]).toBeCloseTo((1 - 0.25) / Math.sqrt(0.9 + 0.1 * (5 / 3) + 1e-5), 5);
    expect(bn.runningMean.dataSync()[0]).toBeCloseTo(0.25, 6);
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(1);
    tf.dispose([x, y, ye]);
    bn.dispose();
  });

  it('hand-written training gradient equals autodiff through the textbook formula', () => {
    const bn = new BatchNorm2d(3);
    tf.tidy(() => {
      bn.weight.assign(tf.tensor1d([0.5, -1.2, 2]));
      bn.bias.assign(tf.tensor1d([0.1, 0.2, -0.3]));
    });
    const x = tf.randomNormal([4, 3, 2, 3], 0, 2, 'float32', 5) as tf.Tensor4D;
    const probe = tf.randomNormal([4, 3, 2, 3], 0, 1, 'float32', 6);
    const ours = tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
      // Route weight and bias through the layer's variables' values.
      return tf.sum(tf.mul(bnLike(bn, a as tf.Tensor4D, w, b), probe));
    });
    const reference = tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      const y = tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), w), b);
      return tf.sum(tf.mul(y, probe));
    });
    const g1 = ours([x, bn.weight, bn.bias]);
    const g2 = reference([x, bn.weight, bn.bias]);
    for (let i = 0; i < 3; i++) {
      const a = g1[i].dataSync();
      const b = g2[i].dataSync();
      for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(b[j], 4);
    }
    tf.dispose([x, probe, ...g1, ...g2]);
    bn.dispose();
  });
});

import { batchNormTrain } from '../../../harness/nn/layers.ts';
function bnLike(bn: BatchNorm2d, x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return batchNormTrain(x, w, b, bn.eps, () => {});
}
