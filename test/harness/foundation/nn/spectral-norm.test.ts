/**
 * SpectralNorm: the effective weight's largest singular value (computed independently, by Jacobi on
 * the Gram matrix in float64) is beta; the power iteration runs in train mode only; baking keeps it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conv2d } from '../../../../harness/foundation/nn/conv.ts';
import { Linear } from '../../../../harness/foundation/nn/linear.ts';
import { SpectralNorm } from '../../../../harness/foundation/nn/spectral-norm.ts';
import { initBackend, shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { largestSingularValue } from '../../../methods/spectral.ts';

beforeAll(async () => {
  await initBackend();
});
afterAll(async () => {
  await shutdownBackend();
});

/** sigma of a weight reshaped to [K, out] (the transpose of PyTorch's (out, K): same singular values). */
function sigmaOf(w: tf.Tensor): number {
  const out = w.shape[w.shape.length - 1];
  return largestSingularValue(w.dataSync(), w.size / out, out);
}

describe('SpectralNorm', () => {
  it('the independent sigma is right on known matrices', () => {
    expect(largestSingularValue([3, 0, 0, 4, 0, 0], 3, 2)).toBeCloseTo(4, 10);
    // A rank-one u v^T has sigma |u| |v|.
    const u = [1, 2, 2];
    const v = [3, 4];
    expect(
      largestSingularValue(
        u.flatMap((a) => v.map((b) => a * b)),
        3,
        2,
      ),
    ).toBeCloseTo(15, 9);
  });

  it.each([
    ['conv', () => new Conv2d(6, 8, 3, { padding: 1, seed: 2 })],
    ['linear', () => new Linear(20, 5, { seed: 4 })],
  ])('%s: the effective weight has spectral norm beta within 1%%, in training and once baked', (_kind, make) => {
    const layer = make();
    const raw = sigmaOf(layer.weight);
    const sn = new SpectralNorm(layer, { beta: 0.4, seed: 7 }).train();
    const x =
      layer instanceof Conv2d
        ? tf.randomNormal([2, 5, 5, 6], 0, 1, 'float32', 1)
        : tf.randomNormal([3, 20], 0, 1, 'float32', 1);
    for (let i = 0; i < 5; i++) tf.tidy(() => sn.forward(x));
    const eff = tf.tidy(() => sn.effectiveWeight());
    expect(Math.abs(sigmaOf(eff) - 0.4) / 0.4).toBeLessThan(0.01);
    expect(Math.abs(raw - 0.4)).toBeGreaterThan(0.05);
    // The layer's output is the plain op with W*.
    const plain = sn.toPlain();
    expect(Math.abs(sigmaOf(plain.weight) - 0.4) / 0.4).toBeLessThan(0.01);
    const [a, b] = tf.tidy(() => [sn.eval().forward(x), plain.forward(x)]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeLessThan(1e-3);
    tf.dispose([x, eff, a, b]);
    plain.dispose();
    sn.dispose();
  });

  it('updates u in train mode only, and the gradient reaches W but not u', () => {
    const sn = new SpectralNorm(new Linear(10, 6, { seed: 1 }), { beta: 1, seed: 3, initIterations: 0 });
    const x = tf.randomNormal([4, 10], 0, 1, 'float32', 2);
    const u0 = Array.from(sn.u.dataSync());
    sn.eval();
    tf.tidy(() => sn.forward(x));
    expect(Array.from(sn.u.dataSync())).toEqual(u0);
    sn.train();
    const before = tf.memory().numTensors;
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(sn.forward(x))) as tf.Scalar, [sn.layer.weight]);
    expect(Array.from(sn.u.dataSync())).not.toEqual(u0);
    expect(Object.keys(grads)).toEqual([sn.layer.weight.name]);
    expect(tf.tidy(() => tf.sum(tf.abs(grads[sn.layer.weight.name])).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([value, grads]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    sn.dispose();
  });
});
