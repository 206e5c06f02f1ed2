import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradStep } from '../../../../harness/foundation/nn/grad.ts';
import { BatchNorm2d, batchNormTrain } from '../../../../harness/foundation/nn/layers.ts';
import { useCpuBackend } from '../../../support/tf.ts';

beforeAll(useCpuBackend);

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('BatchNorm2d (PyTorch semantics)', () => {
  it('keeps PyTorch state-dict names, an int32 num_batches_tracked and identity init', () => {
    const bn = new BatchNorm2d(3);
    const state = bn.stateDict();
    expect(Object.keys(state).sort()).toEqual(['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']);
    expect(state.num_batches_tracked.dtype).toBe('int32');
    expect(state.num_batches_tracked.shape).toEqual([]);
    expect(bn.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    expect(values(state.running_var)).toEqual([1, 1, 1]);
    tf.dispose(state);
    bn.dispose();
  });

  it('trains with batch statistics and moves running stats by momentum 0.1 towards the unbiased variance', () => {
    const bn = new BatchNorm2d(1);
    // One channel, values 1..4: mean 2.5, biased var 1.25, unbiased var 5/3.
    const x = tf.tensor4d([1, 2, 3, 4], [4, 1, 1, 1]);
    const y = tf.tidy(() => bn.train().forward(x));
    values(y).forEach((v, i) => expect(v).toBeCloseTo((i + 1 - 2.5) / Math.sqrt(1.25 + 1e-5), 5));
    expect(bn.runningMean.dataSync()[0]).toBeCloseTo(0.25, 6); // 0.9 · 0 + 0.1 · 2.5
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

  it('per channel over N, H, W, two steps, custom momentum, affine in eval', () => {
    const bn = new BatchNorm2d(2, { momentum: 0.5, eps: 0 });
    // [2, 1, 2, 2]: channel 0 sees 1, 3, 5, 7 (mean 4, biased var 5, unbiased 20/3);
    // channel 1 sees 2, 2, 2, 6 (mean 3, biased var 3, unbiased 4).
    const x1 = tf.tensor4d([1, 2, 3, 2, 5, 2, 7, 6], [2, 1, 2, 2]);
    tf.tidy(() => bn.train().forward(x1));
    expect(values(bn.runningMean)).toEqual([2, 1.5]); // 0.5 · 0 + 0.5 · mean
    values(bn.runningVar).forEach((v, i) => expect(v).toBeCloseTo([0.5 + 0.5 * (20 / 3), 0.5 + 0.5 * 4][i], 5));
    // Second batch: channel 0 all 0 (mean 0, var 0), channel 1 all 10.
    const x2 = tf.tensor4d([0, 10, 0, 10, 0, 10, 0, 10], [2, 1, 2, 2]);
    tf.tidy(() => bn.forward(x2));
    expect(values(bn.runningMean)).toEqual([1, 5.75]);
    values(bn.runningVar).forEach((v, i) =>
      expect(v).toBeCloseTo([(0.5 + 0.5 * (20 / 3)) / 2, (0.5 + 0.5 * 4) / 2][i], 5),
    );
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(2);
    // Eval: (x − running_mean) / sqrt(running_var) · weight + bias.
    tf.tidy(() => {
      bn.weight.assign(tf.tensor1d([2, 1]));
      bn.bias.assign(tf.tensor1d([1, 0]));
    });
    const ye = tf.tidy(() => bn.eval().forward(tf.tensor4d([3, 5.75], [1, 1, 1, 2])));
    const rv0 = (0.5 + 0.5 * (20 / 3)) / 2;
    values(ye).forEach((v, i) => expect(v).toBeCloseTo([((3 - 1) / Math.sqrt(rv0)) * 2 + 1, 0][i], 5));
    tf.dispose([x1, x2, ye]);
    bn.dispose();
  });

  it('updates running stats exactly once per forward under tf.variableGrads, leaking nothing', () => {
    const bn = new BatchNorm2d(2).train();
    const x = tf.randomNormal([3, 2, 2, 2], 1, 2, 'float32', 4);
    const probe = tf.randomNormal([3, 2, 2, 2], 0, 1, 'float32', 5);
    const expectedMean = tf.tidy(() => values(tf.mul(tf.mean(x, [0, 1, 2]), 0.1)));
    const before = tf.memory().numTensors;
    const { loss, grads } = tf.tidy(() => gradStep(bn, () => tf.sum(tf.mul(bn.forward(x), probe))));
    expect(Object.keys(grads).sort()).toEqual(['bias', 'weight']);
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(1);
    values(bn.runningMean).forEach((v, i) => expect(v).toBeCloseTo(expectedMean[i], 5));
    tf.dispose([loss, grads]);
    expect(tf.memory().numTensors).toBe(before);
    // In eval mode nothing moves, also under gradients.
    bn.eval();
    const mean = values(bn.runningMean);
    const r = tf.tidy(() => gradStep(bn, () => tf.sum(tf.mul(bn.forward(x), probe))));
    expect(values(bn.runningMean)).toEqual(mean);
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(1);
    tf.dispose([r.loss, r.grads, x, probe]);
    bn.dispose();
  });

  it('refuses one value per channel in training, as PyTorch', () => {
    const bn = new BatchNorm2d(2).train();
    expect(() => tf.tidy(() => bn.forward(tf.ones([1, 1, 1, 2])))).toThrow(/more than 1 value per channel/);
    expect(() => tf.tidy(() => bn.eval().forward(tf.ones([1, 1, 1, 2])))).not.toThrow();
    bn.dispose();
  });

  it('hand-written training gradient equals autodiff through the textbook formula', () => {
    const w = tf.tensor1d([0.5, -1.2, 2]);
    const b = tf.tensor1d([0.1, 0.2, -0.3]);
    const x = tf.randomNormal([4, 3, 2, 3], 0, 2, 'float32', 5) as tf.Tensor4D;
    const probe = tf.randomNormal([4, 3, 2, 3], 0, 1, 'float32', 6);
    const ours = tf.grads((a: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor) =>
      tf.sum(
        tf.mul(
          batchNormTrain(a as tf.Tensor4D, wt, bs, 1e-5, () => {}),
          probe,
        ),
      ),
    );
    const reference = tf.grads((a: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      const y = tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), wt), bs);
      return tf.sum(tf.mul(y, probe));
    });
    const g1 = ours([x, w, b]);
    const g2 = reference([x, w, b]);
    for (let i = 0; i < 3; i++) {
      const a = g1[i].dataSync();
      const r = g2[i].dataSync();
      for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(r[j], 4);
    }
    tf.dispose([x, w, b, probe, ...g1, ...g2]);
  });
});
