/**
 * Every kernel rftbench registers on wasm, against the cpu backend's result on the same inputs:
 * random shapes, strides and paddings, one kernel at a time on fixed inputs (whole-model comparisons
 * flip ReLUs on float noise). Inputs are made as plain arrays and uploaded on each backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../harness/tensor/backend.ts';
import { Rng } from '../../../harness/rng.ts';

function randomArray(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

async function on<T>(backend: 'cpu' | 'wasm', f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

function maxRelError(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: number | 'same' | 'valid';
}

const rng = new Rng(42);
const CASES: ConvCase[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 4, k: 3, stride: 1, pad: 1 },
  { n: 3, h: 9, w: 7, ci: 5, co: 6, k: 3, stride: 2, pad: 1 },
  { n: 1, h: 8, w: 8, ci: 4, co: 8, k: 1, stride: 2, pad: 0 },
  { n: 2, h: 10, w: 10, ci: 2, co: 3, k: 5, stride: 1, pad: 2 },
  { n: 2, h: 11, w: 9, ci: 3, co: 2, k: 3, stride: 3, pad: 'same' },
  { n: 1, h: 7, w: 7, ci: 3, co: 3, k: 3, stride: 1, pad: 'valid' },
  { n: 2, h: 12, w: 12, ci: 3, co: 5, k: 4, stride: 2, pad: 'same' },
  ...Array.from({ length: 6 }, () => {
    const k = [1, 3, 5][rng.int(3)];
    return { n: 1 + rng.int(3), h: 6 + rng.int(8), w: 6 + rng.int(8), ci: 1 + rng.int(6), co: 1 + rng.int(6), k, stride: 1 + rng.int(2), pad: rng.int(Math.floor(k / 2) + 1) };
  }),
];

beforeAll(async () => {
  const info = await initBackend({ backend: 'wasm' });
  expect(info.customKernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Tile']));
});

describe('wasm kernels match the cpu backend', () => {
  for (const c of CASES) {
    const label = `${c.n}x${c.h}x${c.w}x${c.ci} -> ${c.co}, k${c.k} s${c.stride} pad ${c.pad}`;
    it(`Conv2DBackpropFilter and Conv2DBackpropInput, ${label}`, async () => {
      const r = new Rng(c.h * 1000 + c.ci * 10 + c.co);
      const xs = randomArray(c.n * c.h * c.w * c.ci, r);
      const ws = randomArray(c.k * c.k * c.ci * c.co, r);
      const outShape = await on('cpu', () => tf.tidy(() => tf.conv2d(tf.tensor4d(xs, [c.n, c.h, c.w, c.ci]), tf.tensor4d(ws, [c.k, c.k, c.ci, c.co]), c.stride, c.pad).shape));
      const dys = randomArray(outShape.reduce((a, b) => a * b, 1), r);
      const grads = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(xs, [c.n, c.h, c.w, c.ci]);
          const w = tf.tensor4d(ws, [c.k, c.k, c.ci, c.co]);
          const dy = tf.tensor(dys, outShape);
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)));
          const [dx, dw] = g([x, w]);
          return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
        });
      const [cpuDx, cpuDw] = await on('cpu', grads);
      const [wasmDx, wasmDw] = await on('wasm', grads);
      expect(maxRelError(wasmDx, cpuDx)).toBeLessThan(1e-5);
      expect(maxRelError(wasmDw, cpuDw)).toBeLessThan(1e-5);
    });
  }

  it('Tile matches on several shapes and dtypes', async () => {
    const shapes: [number[], number[]][] = [
      [[1, 1, 1, 4], [3, 5, 2, 1]],
      [[2, 3], [2, 2]],
      [[3], [4]],
      [[2, 1, 3], [1, 4, 2]],
      [[1, 2, 1, 2], [2, 1, 3, 1]],
    ];
    for (const [shape, reps] of shapes) {
      const size = shape.reduce((a, b) => a * b, 1);
      const vals = Array.from({ length: size }, (_, i) => i * 1.5 - 2);
      for (const dtype of ['float32', 'int32'] as const) {
        const run = () => tf.tidy(() => Array.from(tf.tile(tf.tensor(dtype === 'int32' ? vals.map(Math.round) : vals, shape, dtype), reps).dataSync()));
        expect(await on('wasm', run)).toEqual(await on('cpu', run));
      }
    }
  });

  it('leaves no tensor behind across repeated gradient calls', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomUniform([3, 3, 3, 4], -1, 1, 'float32', 2) as tf.Tensor4D;
    const step = () =>
      tf.tidy(() => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1)));
        g([x, w]).forEach((t) => t.dataSync());
        tf.tile(tf.ones([1, 1, 1, 3]), [2, 4, 4, 1]).dataSync();
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
