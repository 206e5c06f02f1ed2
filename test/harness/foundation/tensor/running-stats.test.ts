/**
 * The running-statistics update as one kernel (harness/foundation/tensor/kernels/running-stats.ts) against the tfjs
 * ops it replaces, on wasm: the same bits for the mean, the variance (unbiased) and the counter; and a training
 * BatchNorm's forward uses it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2d } from '../../../../harness/foundation/nn/batchnorm.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { RUNNING_STATS } from '../../../../harness/foundation/tensor/kernels/running-stats.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import { randomTensor } from './compare.ts';

beforeAll(() => useBackend('wasm'));
afterAll(releaseBackend);

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(t.dataSync().slice().buffer));

describe('running statistics in one kernel', () => {
  for (const [momentum, count] of [
    [0.1, 100],
    [0.01, 7],
    [0.37, 4096],
  ])
    it(`momentum ${momentum}, ${count} values a channel: the bits of the tfjs ops`, () => {
      const rng = new Rng(count);
      const [rm, rv, mean, variance] = [0, 1, 2, 3].map((i) => {
        const h = randomTensor([300], rng, i === 1 || i === 3 ? 0.01 : -3, 3);
        return tf.tensor1d(h.values as Float32Array);
      });
      const n = tf.scalar(41, 'int32');
      const unbiased = count / (count - 1);
      const inputs = { runningMean: rm, runningVar: rv, mean, variance, count: n };
      const [m1, v1, c1] = tf.engine().runKernel(RUNNING_STATS, inputs, { momentum, unbiased }) as tf.Tensor[];
      const m2 = tf.add(tf.mul(rm, 1 - momentum), tf.mul(mean, momentum));
      const v2 = tf.add(tf.mul(rv, 1 - momentum), tf.mul(variance, momentum * unbiased));
      expect(bits(m1)).toEqual(bits(m2));
      expect(bits(v1)).toEqual(bits(v2));
      expect(c1.dtype).toBe('int32');
      expect(c1.dataSync()[0]).toBe(42);
      // The update moved the statistics (not a comparison of untouched copies).
      expect(bits(m1)).not.toEqual(bits(rm));
      tf.dispose([rm, rv, mean, variance, n, m1, v1, c1, m2, v2]);
    });

  it('a training BatchNorm runs it, once per forward, and leaks nothing', async () => {
    const bn = new BatchNorm2d(8);
    bn.train();
    const x = tf.randomNormal([4, 3, 3, 8], 0, 1, 'float32', 5);
    const forward = () =>
      tf.tidy(() => {
        bn.forward(x);
      });
    forward();
    const before = tf.memory().numTensors;
    const info = await tf.profile(forward);
    expect(info.kernels.filter((k) => k.name === RUNNING_STATS).length).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(2);
    tf.dispose(x);
    bn.dispose();
  });

  it('names the input whose dtype or shape is wrong', () => {
    const [a, b] = [tf.zeros([4]), tf.zeros([5])];
    const n = tf.scalar(0, 'int32');
    const inputs = { runningMean: a, runningVar: a, mean: b, variance: a, count: n };
    expect(() => tf.engine().runKernel(RUNNING_STATS, inputs, { momentum: 0.1, unbiased: 1 })).toThrow(
      /mean must be float32 \[4\], got float32 \[5\]/,
    );
    tf.dispose([a, b, n]);
  });
});
