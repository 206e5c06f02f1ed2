/**
 * Our FusedBatchNorm gradient (harness/foundation/tensor/gradients) against the same normalisation written with
 * elementary ops, whose gradients are tfjs's own: all five inputs (x, mean, variance, offset, scale), per-channel
 * and full-size statistics, 4D and 2D inputs, on cpu and wasm (tfjs's tape cannot take
 * a missing scale or offset under a gradient at all; our BatchNorm2d always passes both).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedBatchNormGradConfig } from '../../../../harness/foundation/tensor/gradients/fused-batch-norm-grad.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import { expectClose, randomTensor, runOn, type HostTensor } from './compare.ts';

const EPS = 1e-3;

/** (x − m)/√(v + ε)·s + o from elementary ops. */
function elementary(x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(tf.div(tf.sub(x, m), tf.sqrt(tf.add(v, EPS))), s), o);
}

interface Case {
  name: string;
  x: number[];
  stats: number[];
}

const CASES: Case[] = [
  { name: 'per-channel statistics, 4D', x: [2, 3, 4, 5], stats: [5] },
  { name: 'full-size statistics, 4D', x: [2, 3, 3, 2], stats: [2, 3, 3, 2] },
  { name: 'per-channel statistics, 2D', x: [6, 4], stats: [4] },
];

beforeAll(async () => {
  await useBackend('wasm');
});
afterAll(async () => {
  await releaseBackend();
});

it('ours is the registered gradient (after tfjs registered its own)', () => {
  expect(tf.getGradient('FusedBatchNorm')).toBe(fusedBatchNormGradConfig);
});

describe.each(['cpu', 'wasm'] as const)('FusedBatchNorm gradient on %s', (backend) => {
  CASES.forEach((c, i) => {
    it(`${c.name}: every input's gradient equals the elementary formula's`, async () => {
      const rng = new Rng(40 + i);
      const inputs: HostTensor[] = [
        randomTensor(c.x, rng),
        randomTensor(c.stats, rng),
        randomTensor(c.stats, rng, 0.2, 2),
        randomTensor(c.stats, rng),
        randomTensor(c.stats, rng, 0.5, 1.5),
      ];
      // A weighted sum, so every output element's gradient differs.
      const weights = randomTensor(c.x, rng);
      const loss =
        (f: typeof elementary) =>
        (...xs: tf.Tensor[]) => {
          const [x, m, v, o, s, w] = xs;
          return tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(a[0], a[1], a[2], a[3], a[4]), w)))([x, m, v, o, s]);
        };
      const fused = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
        tf.batchNorm(x, m, v, o, s, EPS);
      const ours = await runOn(backend, [...inputs, weights], loss(fused));
      const reference = await runOn(backend, [...inputs, weights], loss(elementary));
      for (const [k, name] of ['x', 'mean', 'variance', 'offset', 'scale'].entries())
        expectClose(ours[k], reference[k], 1e-5, name);
    });
  });
});
