/**
 * Training-mode BatchNorm through the native kernels (wasm backend with harness/foundation/tensor/native loaded)
 * against autodiff of the textbook formula on the cpu backend: output, batch statistics and all three
 * gradients, on shapes with few and many channels and on activations far from zero mean.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchNormTrain } from '../../../../harness/foundation/nn/layers.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { nativeKernels } from '../../../../harness/foundation/tensor/native/native-kernels.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import { expectClose, randomTensor, runOn, type HostTensor } from './compare.ts';

beforeAll(() => useBackend('wasm'));
afterAll(releaseBackend);

const EPS = 1e-5;

/** y, mean, variance and the gradients of sum(y * probe) with respect to x, weight, bias. */
function ours(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, probe: tf.Tensor): tf.Tensor[] {
  const stats: tf.Tensor[] = [];
  const y = batchNormTrain(x as tf.Tensor4D, w, b, EPS, (m, v) => stats.push(tf.keep(m.clone()), tf.keep(v.clone())));
  const grads = tf.grads((a: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor) =>
    tf.sum(
      tf.mul(
        batchNormTrain(a as tf.Tensor4D, wt, bs, EPS, () => {}),
        probe,
      ),
    ),
  )([x, w, b]);
  return [y, ...stats, ...grads];
}

function textbook(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, probe: tf.Tensor): tf.Tensor[] {
  const f = (a: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    return tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, EPS))), wt), bs);
  };
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return [
    f(x, w, b),
    mean,
    variance,
    ...tf.grads((a: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor) => tf.sum(tf.mul(f(a, wt, bs), probe)))([x, w, b]),
  ];
}

const NAMES = ['y', 'mean', 'variance', 'dx', 'dweight', 'dbias'];

describe.runIf(nativeKernels())('training BatchNorm on the native kernels', () => {
  const cases: { shape: [number, number, number, number]; offset: number; tolerance: number }[] = [
    { shape: [4, 3, 2, 3], offset: 0, tolerance: 1e-4 },
    { shape: [8, 7, 5, 16], offset: 0, tolerance: 1e-4 },
    { shape: [2, 4, 4, 64], offset: 0, tolerance: 1e-4 },
    // Far from zero mean: folding the mean into a bias would lose digits here.
    { shape: [6, 5, 5, 8], offset: 100, tolerance: 2e-3 },
  ];
  cases.forEach(({ shape, offset, tolerance }, i) => {
    it(`${shape.join('x')}${offset ? `, mean ${offset}` : ''}: output, statistics and gradients match autodiff on cpu`, async () => {
      const rng = new Rng(20 + i);
      const c = shape[3];
      const x = randomTensor(shape, rng, offset - 2, offset + 2);
      const inputs: HostTensor[] = [
        x,
        randomTensor([c], rng, 0.5, 1.5),
        randomTensor([c], rng, -0.5, 0.5),
        randomTensor(shape, rng),
      ];
      const got = await runOn('wasm', inputs, (a, w, b, p) => ours(a, w, b, p));
      const want = await runOn('cpu', inputs, (a, w, b, p) => textbook(a, w, b, p));
      got.forEach((g, k) => expectClose(g, want[k], tolerance, NAMES[k]));
    });
  });

  it('runs on the native kernels and leaks no tensors across repeated steps', async () => {
    await tf.setBackend('wasm');
    const rng = new Rng(3);
    const x = tf.tensor(randomTensor([4, 6, 6, 8], rng).values, [4, 6, 6, 8]);
    const w = tf.variable(tf.ones([8]));
    const b = tf.variable(tf.zeros([8]));
    const step = () =>
      tf.tidy(() =>
        tf.variableGrads(
          () => tf.sum(tf.square(batchNormTrain(x as tf.Tensor4D, w, b, EPS, () => {}))) as tf.Scalar,
          [w, b],
        ),
      );
    tf.dispose(Object.values(step().grads));
    const before = tf.memory().numTensors;
    const seen = new Set<string>();
    const info = await tf.profile(() => {
      for (let k = 0; k < 3; k++) {
        const r = step();
        tf.dispose([r.value, ...Object.values(r.grads)]);
      }
    });
    for (const k of info.kernels) seen.add(k.name);
    expect(seen).toContain('RftbenchBatchNormTrain');
    expect(seen).toContain('RftbenchBatchNormTrainGrad');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b]);
  });
});
