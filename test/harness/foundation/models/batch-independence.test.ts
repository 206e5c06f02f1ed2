/**
 * An image's logits and input gradient are the same bits whatever batch it is in: AutoAttack splits a batch's
 * points across workers (harness/orchestration/evaluate/autoattack-shards.ts) and its numbers must not move. On wasm with the
 * native kernels this holds only if no kernel picks its algorithm by batch size (winogradSuits) and every product
 * sums an output row the same way in any batch. Full-width ResNet-18 on 16x16 inputs: its 128-channel
 * layers (8x8 maps) take Winograd, the others im2col, and sizes small enough for OpenBLAS's small-product kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { crossEntropy } from '../../../../harness/foundation/nn/losses.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';

beforeAll(async () => {
  await useBackend('wasm');
});
afterAll(async () => {
  await releaseBackend();
});

describe('batch independence on the wasm backend', () => {
  it('ResNet-18: logits and input gradients of rows 0..k are the same bits in batches of 1, 3 and 8', () => {
    const model = buildModel(
      { arch: 'resnet18', numClasses: 10, inputShape: [16, 16, 3], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
      2,
    );
    model.eval();
    const x = tf.randomUniform([8, 16, 16, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const y = tf.tensor1d([3, 1, 4, 1, 5, 9, 2, 6], 'int32');
    // Summed (not averaged) cross-entropy, so a row's gradient does not depend on the batch size either.
    const run = (k: number) =>
      tf.tidy(() => {
        const xs = x.slice(0, k);
        const ys = y.slice(0, k);
        const logits = model.forward(xs).dataSync();
        const grad = tf
          .grad((z: tf.Tensor) => tf.mul(crossEntropy(model.forward(z), ys), k))(xs)
          .dataSync();
        return { logits: Array.from(logits), grad: Array.from(grad) };
      });
    try {
      const full = run(8);
      for (const k of [1, 3]) {
        const part = run(k);
        expect(part.logits).toEqual(full.logits.slice(0, part.logits.length));
        expect(part.grad).toEqual(full.grad.slice(0, part.grad.length));
      }
    } finally {
      tf.dispose([x, y]);
      model.dispose();
    }
  });
});
