import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgd } from '../../attacks/pgd.ts';
import { fgsm } from '../../attacks/fgsm.ts';
import type { LogitsFn } from '../../attacks/types.ts';
import { checkPerturbation, emptyStats } from '../../harness/evaluate/perturbation-check.ts';
import { useCpuBackend } from '../support/tf.ts';

// A fixed linear classifier on 4x4 images: class 0 likes the left half bright, class 1 the right half.
let W: tf.Tensor2D;
let x: tf.Tensor4D;
let y: tf.Tensor1D;
const model: LogitsFn = (z) => tf.matMul(tf.reshape(z, [z.shape[0], 16]), W);

function accuracy(inputs: tf.Tensor4D): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(model(inputs), 1), y), 'float32')).dataSync()[0]);
}

beforeAll(async () => {
  await useCpuBackend();
  const w = new Float32Array(32);
  for (let p = 0; p < 16; p++) {
    const left = p % 4 < 2;
    w[p * 2] = left ? 1 : -1;
    w[p * 2 + 1] = left ? -1 : 1;
  }
  W = tf.tensor2d(w, [16, 2]);
  // Points with margins from small to large, so a bounded attack flips some and not others.
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 32; i++) {
    const label = i % 2;
    const strength = 0.02 + 0.01 * i;
    for (let p = 0; p < 16; p++) {
      const left = p % 4 < 2;
      pixels.push(0.5 + (left === (label === 0) ? strength : -strength));
    }
    labels.push(label);
  }
  x = tf.tensor4d(pixels, [32, 4, 4, 1]);
  y = tf.tensor1d(labels, 'int32');
});

afterAll(() => tf.dispose([W, x, y]));

describe('PGD', () => {
  it('stays inside [0,1] and the Linf ball, and lowers accuracy as the closed form says', () => {
    const eps = 0.1;
    const { xAdv } = pgd({ eps, alpha: 0.025, steps: 10 }).run(model, x, y, 1);
    const stats = checkPerturbation(x, xAdv, { norm: 'Linf', eps }, emptyStats());
    expect(stats.overEpsCount + stats.outOfBoxCount + stats.nanCount).toBe(0);
    expect(stats.maxPerturbation).toBeLessThanOrEqual(eps + 1e-6);
    expect(accuracy(x)).toBe(1);
    // Margin 16 * 2 * strength vs. the worst case Linf shift 16 * 2 * eps: robust iff strength > eps.
    // strength = 0.02 + 0.01 i > 0.1  <=>  i >= 9 (i = 8 ties and flips to the other class or not): 23 or 24 of 32.
    expect(accuracy(xAdv)).toBeGreaterThanOrEqual(23 / 32);
    expect(accuracy(xAdv)).toBeLessThanOrEqual(24 / 32);
    xAdv.dispose();
  });

  it('stays in the L2 ball', () => {
    const eps = 0.5;
    const { xAdv } = pgd({ norm: 'L2', eps, alpha: 0.1, steps: 10 }).run(model, x, y, 2);
    const stats = checkPerturbation(x, xAdv, { norm: 'L2', eps }, emptyStats());
    expect(stats.overEpsCount).toBe(0);
    expect(stats.maxPerturbation).toBeGreaterThan(0.4);
    expect(accuracy(xAdv)).toBeLessThan(1);
    xAdv.dispose();
  });

  it('is deterministic for a seed; restarts never do worse than one run', () => {
    const a = pgd({ eps: 0.08, alpha: 0.01, steps: 3 }).run(model, x, y, 5).xAdv;
    const b = pgd({ eps: 0.08, alpha: 0.01, steps: 3 }).run(model, x, y, 5).xAdv;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const r = pgd({ eps: 0.08, alpha: 0.01, steps: 3, restarts: 3 }).run(model, x, y, 5).xAdv;
    expect(accuracy(r)).toBeLessThanOrEqual(accuracy(a));
    tf.dispose([a, b, r]);
  });

  it('FGSM is one full-eps step', () => {
    const { xAdv } = fgsm({ eps: 0.05 }).run(model, x, y, 0);
    const stats = checkPerturbation(x, xAdv, { norm: 'Linf', eps: 0.05 }, emptyStats());
    expect(stats.maxPerturbation).toBeCloseTo(0.05, 5);
    xAdv.dispose();
  });

  it('does not leak tensors across calls', () => {
    const attack = pgd({ eps: 0.05, alpha: 0.01, steps: 2, restarts: 2 });
    attack.run(model, x, y, 0).xAdv.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) attack.run(model, x, y, i).xAdv.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
