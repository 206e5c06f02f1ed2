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

  // A ResNet block's end: relu(bn(x) + residual), and a plain relu(bn(x)); gradients also for the residual.
  for (const withResidual of [true, false])
    it(`epilogue ${withResidual ? '+ residual ' : ''}+ ReLU: output and gradients match autodiff on cpu`, async () => {
      const rng = new Rng(40);
      const shape = [3, 5, 4, 16];
      const c = shape[3];
      const inputs: HostTensor[] = [
        randomTensor(shape, rng),
        randomTensor([c], rng, 0.5, 1.5),
        randomTensor([c], rng, -0.5, 0.5),
        randomTensor(shape, rng),
        randomTensor(shape, rng),
      ];
      const got = await runOn('wasm', inputs, (a, w, b, r, p) => {
        const residual = withResidual ? r : undefined;
        const f = (xa: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor, ra: tf.Tensor) =>
          tf.sum(
            tf.mul(
              batchNormTrain(xa as tf.Tensor4D, wt, bs, EPS, () => {}, { relu: true, residual: ra }),
              p,
            ),
          );
        const y = batchNormTrain(a as tf.Tensor4D, w, b, EPS, () => {}, { relu: true, residual });
        const grads = withResidual
          ? tf.grads(f)([a, w, b, r])
          : tf.grads((xa: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor) => f(xa, wt, bs, undefined as never))([a, w, b]);
        return [y, ...grads];
      });
      const want = await runOn('cpu', inputs, (a, w, b, r, p) => {
        const f = (xa: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor, ra: tf.Tensor) => {
          const { mean, variance } = tf.moments(xa, [0, 1, 2]);
          const bn = tf.add(tf.mul(tf.div(tf.sub(xa, mean), tf.sqrt(tf.add(variance, EPS))), wt), bs);
          return tf.relu(withResidual ? tf.add(bn, ra) : bn);
        };
        const loss = (xa: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor, ra: tf.Tensor) =>
          tf.sum(tf.mul(f(xa, wt, bs, ra), p));
        const grads = withResidual
          ? tf.grads(loss)([a, w, b, r])
          : tf.grads((xa: tf.Tensor, wt: tf.Tensor, bs: tf.Tensor) => loss(xa, wt, bs, r))([a, w, b]);
        return [f(a, w, b, r), ...grads];
      });
      expect(got.length).toBe(withResidual ? 5 : 4);
      const names = ['y', 'dx', 'dweight', 'dbias', 'dresidual'];
      got.forEach((g, k) => expectClose(g, want[k], 1e-4, names[k]));
      // ReLU cut some outputs (the comparison covers the mask).
      expect(Array.from(got[0].values).filter((v) => v === 0).length).toBeGreaterThan(10);
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
