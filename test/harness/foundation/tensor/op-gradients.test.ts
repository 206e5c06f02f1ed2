/**
 * What a conv/BN/ReLU/pool/linear network with cross-entropy needs for a training step and an input
 * gradient runs on wasm (no kernel missing) and agrees with cpu, one op at a time on fixed inputs
 * (whole-model comparisons flip ReLUs on float noise). Stock wasm kernels are covered too: a wrong
 * one would show up here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import { expectClose, randomTensor, runOn, type HostTensor } from './compare.ts';

type Op = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor;

const LABELS = [2, 7, 4];
const ONE_HOT: HostTensor = {
  values: Float32Array.from({ length: 30 }, (_, i) => (i % 10 === LABELS[Math.floor(i / 10)] ? 1 : 0)),
  shape: [3, 10],
  dtype: 'float32',
};

const OPS: Record<string, Op> = {
  'conv2d stride 1, pad 1': (x, w) => tf.conv2d(x, w, 1, 1),
  'conv2d stride 2, pad 1': (x, w) => tf.conv2d(x, w, 2, 1),
  'conv2d stride 2, same': (x, w) => tf.conv2d(x, w, 2, 'same'),
  'conv2d valid': (x, w) => tf.conv2d(x, w, 1, 'valid'),
  'conv2d explicit asymmetric pad': (x, w) =>
    tf.conv2d(
      x,
      w,
      [2, 1],
      [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ],
    ),
  'fused conv2d + bias + relu (tf.layers style)': (x, w) =>
    tf.fused.conv2d({ x, filter: w, strides: 2, pad: 'same', bias: tf.linspace(-0.2, 0.2, 4), activation: 'relu' }),
  'batchNorm with batch statistics': (x) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(
      x,
      mean as tf.Tensor1D,
      variance as tf.Tensor1D,
      tf.linspace(-1, 1, 3),
      tf.linspace(0.5, 2, 3),
      1e-5,
    );
  },
  'batchNorm with running statistics': (x) =>
    tf.batchNorm(
      x,
      tf.linspace(0, 0.3, 3),
      tf.linspace(0.5, 1.5, 3),
      tf.linspace(-1, 1, 3),
      tf.linspace(0.5, 2, 3),
      1e-5,
    ),
  relu: (x) => tf.relu(x),
  'maxPool 3x3 stride 2 same': (x) => tf.maxPool(x, 3, 2, 'same'),
  'maxPool 2x2 valid': (x) => tf.maxPool(x, 2, 2, 'valid'),
  'maxPool on -inf padding (PyTorch padding=1)': (x) =>
    tf.maxPool(
      tf.pad(
        x,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
        -Infinity,
      ) as tf.Tensor4D,
      3,
      2,
      'valid',
    ),
  'avgPool 2x2 valid': (x) => tf.avgPool(x, 2, 2, 'valid'),
  'avgPool 3x3 stride 1 same': (x) => tf.avgPool(x, 3, 1, 'same'),
  'global mean': (x) => tf.mean(x, [1, 2]),
  'matMul + bias + softmax cross-entropy': (x) => {
    const logits = tf.add(
      tf.matMul(
        tf.reshape(x, [3, -1]) as tf.Tensor2D,
        tf.reshape(tf.linspace(-0.05, 0.05, 243 * 10), [243, 10]) as tf.Tensor2D,
      ),
      tf.linspace(-1, 1, 10),
    );
    return tf.losses.softmaxCrossEntropy(tf.tensor(ONE_HOT.values, ONE_HOT.shape), logits);
  },
  'logSoftmax + oneHot pick (harness cross-entropy)': (x) => {
    const logits = tf.reshape(tf.mean(x, [3]), [3, -1]);
    return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d([1, 5, 80], 'int32'), 81))));
  },
};

beforeAll(async () => {
  await useBackend('wasm');
});
afterAll(releaseBackend);

describe('op gradients on wasm match cpu', () => {
  const rng = new Rng(21);
  const x = randomTensor([3, 9, 9, 3], rng);
  const w = randomTensor([3, 3, 3, 4], rng);
  for (const [name, op] of Object.entries(OPS)) {
    it(name, async () => {
      // Weighting the output by a fixed pattern makes every gradient entry distinct.
      const f = (a: tf.Tensor, b: tf.Tensor) => {
        const loss = (p: tf.Tensor, q: tf.Tensor) => {
          const y = op(p as tf.Tensor4D, q as tf.Tensor4D);
          return tf.add(tf.sum(tf.mul(y, tf.reshape(tf.linspace(0.5, 1.5, y.size), y.shape))), tf.mul(tf.sum(q), 0));
        };
        const [gx, gw] = tf.grads(loss)([a, b]);
        return [op(a as tf.Tensor4D, b as tf.Tensor4D), gx, gw];
      };
      const [wasmY, wasmDx, wasmDw] = await runOn('wasm', [x, w], f);
      const [cpuY, cpuDx, cpuDw] = await runOn('cpu', [x, w], f);
      expectClose(wasmY, cpuY, 1e-4, 'y');
      expectClose(wasmDx, cpuDx, 1e-4, 'dx');
      expectClose(wasmDw, cpuDw, 1e-4, 'dw');
    });
  }
});
