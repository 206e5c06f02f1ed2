/**
 * The other kernels rftbench registers on wasm (Tile, Sum, Mean, Identity, Cast, FusedBatchNorm) and
 * the strided copy they build on, each against the cpu backend on fixed inputs; and no tensor or wasm
 * buffer left behind across repeated gradient calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { WASM_KERNELS } from '../../../../harness/foundation/tensor/kernels/index.ts';
import { stridedCopyFor } from '../../../../harness/foundation/tensor/kernels/strided-copy.ts';
import { heapOffset, type WasmBackend } from '../../../../harness/foundation/tensor/kernels/wasm-internals.ts';
import { nativeKernels, setNativeKernelsEnabled } from '../../../../harness/foundation/tensor/native/native-kernels.ts';
import { initBackend, type BackendInfo } from '../../../../harness/foundation/tensor/backend.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import { expectClose, randomTensor, runKernelOn, runOn, type HostTensor } from './compare.ts';

let info: BackendInfo;
beforeAll(async () => {
  info = await useBackend('wasm');
});
afterAll(releaseBackend);

describe('backend info', () => {
  it('lists every registered kernel, and a second initBackend returns the same info', async () => {
    expect(info.name).toBe('wasm');
    expect(info.customKernels).toEqual(WASM_KERNELS.map((k) => k.kernelName));
    expect(await initBackend()).toBe(info);
  });
});

describe('Tile', () => {
  const cases: [number[], number[]][] = [
    [
      [1, 1, 1, 4],
      [3, 5, 2, 1],
    ],
    [
      [2, 3],
      [2, 2],
    ],
    [[3], [4]],
    [
      [2, 1, 3],
      [1, 4, 2],
    ],
    [
      [1, 2, 1, 2],
      [2, 1, 3, 1],
    ],
    [
      [2, 2],
      [1, 1],
    ],
  ];
  for (const [shape, reps] of cases) {
    it(`[${shape}] by [${reps}] for float32, int32 and bool`, async () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const inputs: HostTensor[] = [
        { values: Float32Array.from({ length: size }, (_, i) => i * 1.5 - 2), shape, dtype: 'float32' },
        { values: Int32Array.from({ length: size }, (_, i) => i * 3 - 4), shape, dtype: 'int32' },
        { values: Uint8Array.from({ length: size }, (_, i) => i % 2), shape, dtype: 'bool' },
      ];
      for (const x of inputs) {
        const wasm = await runKernelOn('wasm', 'Tile', { x }, { reps });
        const cpu = await runKernelOn('cpu', 'Tile', { x }, { reps });
        expect(wasm.shape).toEqual(cpu.shape);
        expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
      }
    });
  }
});

describe('Sum and Mean', () => {
  const rng = new Rng(11);
  const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
    { shape: [16, 8, 8, 32], axis: [0, 1, 2], keepDims: false },
    { shape: [3, 9, 11, 5], axis: [0, 1, 2], keepDims: true },
    { shape: [300, 3], axis: 0, keepDims: false },
    { shape: [600, 7], axis: [0], keepDims: true },
    { shape: [4, 5, 6], axis: [-2, 0], keepDims: false },
    { shape: [1, 1, 1, 6], axis: [0, 1, 2], keepDims: false },
    // The middle axes (global average pooling): the native kernels where built.
    { shape: [4, 5, 6], axis: [1], keepDims: false },
    { shape: [16, 7, 7, 64], axis: [1, 2], keepDims: false },
    { shape: [3, 4, 2, 5, 6], axis: [-2, 1, 2], keepDims: true },
    // Neither leading nor middle axes, or all of them: the stock kernels.
    { shape: [4, 5, 6], axis: [0, 2], keepDims: true },
    { shape: [4, 5, 6], axis: [0, 1, 2], keepDims: false },
  ];
  for (const c of cases) {
    it(`[${c.shape}] over ${JSON.stringify(c.axis)}${c.keepDims ? ', keepDims' : ''}`, async () => {
      const x = randomTensor(c.shape, rng, 0, 2);
      for (const kernel of ['Sum', 'Mean']) {
        const attrs = { axis: c.axis, keepDims: c.keepDims };
        expectClose(
          await runKernelOn('wasm', kernel, { x }, attrs),
          await runKernelOn('cpu', kernel, { x }, attrs),
          1e-5,
          kernel,
        );
      }
    });
  }

  it.runIf(nativeKernels())("over the middle axes: the stock kernels' bits (float32 sums in pixel order)", async () => {
    const x = randomTensor([32, 5, 6, 24], rng, -3, 5);
    for (const kernel of ['Sum', 'Mean']) {
      const attrs = { axis: [1, 2], keepDims: false };
      const ours = await runKernelOn('wasm', kernel, { x }, attrs);
      setNativeKernelsEnabled(false);
      const stock = await runKernelOn('wasm', kernel, { x }, attrs);
      setNativeKernelsEnabled(true);
      expect(Array.from(ours.values)).toEqual(Array.from(stock.values));
    }
  });

  it('int32 input goes to the stock kernel with the same result as cpu', async () => {
    const x: HostTensor = { values: Int32Array.from({ length: 60 }, (_, i) => i - 20), shape: [12, 5], dtype: 'int32' };
    const wasm = await runKernelOn('wasm', 'Sum', { x }, { axis: [0], keepDims: false });
    const cpu = await runKernelOn('cpu', 'Sum', { x }, { axis: [0], keepDims: false });
    expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
  });
});

describe('Slice', () => {
  const rng = new Rng(17);
  const cases: { shape: number[]; begin: number | number[]; size: number | number[] }[] = [
    // The gradient of ResNet-50's max-pool padding: [16,34,34,64] -> [16,32,32,64].
    { shape: [4, 34, 34, 64], begin: [0, 1, 1, 0], size: [4, 32, 32, 64] },
    { shape: [3, 20, 30, 40], begin: [1, 2, 3, 4], size: [2, -1, 20, 30] },
    { shape: [64, 96, 5], begin: [8, 0, 1], size: [-1, 90, 3] },
    { shape: [9000], begin: 17, size: 5000 },
    { shape: [80, 70], begin: [5], size: [60] },
    // Below MIN_ELEMENTS, and rank 5: the stock kernel.
    { shape: [4, 5, 6], begin: [1, 1, 1], size: [2, 3, 4] },
    { shape: [2, 3, 4, 5, 30], begin: [0, 1, 0, 2, 3], size: [2, 2, 4, 3, 20] },
  ];
  for (const c of cases)
    for (const dtype of ['float32', 'int32'] as const)
      it(`[${c.shape}] from ${JSON.stringify(c.begin)} size ${JSON.stringify(c.size)}, ${dtype}`, async () => {
        const size = c.shape.reduce((a, d) => a * d, 1);
        const x: HostTensor =
          dtype === 'float32'
            ? randomTensor(c.shape, rng)
            : { values: Int32Array.from({ length: size }, (_, i) => i * 7 - 3), shape: c.shape, dtype };
        const attrs = { begin: c.begin, size: c.size };
        const wasm = await runKernelOn('wasm', 'Slice', { x }, attrs);
        const cpu = await runKernelOn('cpu', 'Slice', { x }, attrs);
        expect(wasm.shape).toEqual(cpu.shape);
        expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
      });
});

describe('Identity and Cast', () => {
  it('share data without a copy and keep each tensor alive on its own', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor([1.5, -2, 3]);
    const b = tf.clone(a);
    const c = tf.cast(a, 'float32');
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1.5, -2, 3]);
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1.5, -2, 3]);
    c.dispose();
  });

  it('casts to another dtype like cpu', async () => {
    const x: HostTensor = { values: Float32Array.from([1.7, -1.7, 0, 2.5, -0.2]), shape: [5], dtype: 'float32' };
    for (const dtype of ['int32', 'bool', 'float32']) {
      const wasm = await runKernelOn('wasm', 'Cast', { x }, { dtype });
      const cpu = await runKernelOn('cpu', 'Cast', { x }, { dtype });
      expect([wasm.dtype, Array.from(wasm.values)]).toEqual([cpu.dtype, Array.from(cpu.values)]);
    }
  });
});

describe('FusedBatchNorm', () => {
  const rng = new Rng(5);
  const C = 6;
  const stats = () => ({
    mean: randomTensor([C], rng),
    variance: randomTensor([C], rng, 0.1, 2),
    offset: randomTensor([C], rng),
    scale: randomTensor([C], rng, 0.5, 2),
  });
  it('per-channel statistics, with and without scale and offset', async () => {
    const x = randomTensor([3, 5, 4, C], rng, -3, 3);
    const s = stats();
    const variants: Record<string, HostTensor>[] = [
      { x, ...s },
      { x, mean: s.mean, variance: s.variance },
      { x, mean: s.mean, variance: s.variance, scale: s.scale },
    ];
    for (const inputs of variants) {
      const attrs = { varianceEpsilon: 1e-3 };
      expectClose(
        await runKernelOn('wasm', 'FusedBatchNorm', inputs, attrs),
        await runKernelOn('cpu', 'FusedBatchNorm', inputs, attrs),
        1e-5,
      );
    }
  });

  it('scalar statistics, and tf.batchNorm on rank-2 input with its gradient', async () => {
    const x = randomTensor([3, 2, 2, C], rng);
    const one = (v: number): HostTensor => ({ values: Float32Array.from([v]), shape: [1], dtype: 'float32' });
    const inputs = { x, mean: one(0.3), variance: one(1.7), offset: one(-0.5), scale: one(2) };
    expectClose(
      await runKernelOn('wasm', 'FusedBatchNorm', inputs, { varianceEpsilon: 1e-5 }),
      await runKernelOn('cpu', 'FusedBatchNorm', inputs, { varianceEpsilon: 1e-5 }),
      1e-5,
    );

    const x2 = randomTensor([7, C], rng);
    const s = stats();
    const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, sc: tf.Tensor) => {
      const g = tf.grad((z: tf.Tensor) =>
        tf.sum(
          tf.square(
            tf.batchNorm(
              z as tf.Tensor2D,
              m as tf.Tensor1D,
              v as tf.Tensor1D,
              o as tf.Tensor1D,
              sc as tf.Tensor1D,
              1e-5,
            ),
          ),
        ),
      );
      return [
        tf.batchNorm(a as tf.Tensor2D, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, sc as tf.Tensor1D, 1e-5),
        g(a),
      ];
    };
    const ins = [x2, s.mean, s.variance, s.offset, s.scale];
    const [wasmY, wasmG] = await runOn('wasm', ins, f);
    const [cpuY, cpuG] = await runOn('cpu', ins, f);
    expectClose(wasmY, cpuY, 1e-5, 'y');
    expectClose(wasmG, cpuG, 1e-5, 'dx');
  });
});

describe('BatchMatMul', () => {
  it('matches cpu with either operand transposed, in 2-D and broadcast 3-D batches', async () => {
    const rng = new Rng(23);
    for (const [aShape, bShape, transposeA, transposeB] of [
      [[5, 7], [7, 3], false, false],
      [[5, 7], [3, 7], false, true],
      [[2, 9], [12, 9], false, true], // a linear layer's input gradient: computed as (B·Aᵀ)ᵀ
      [[7, 5], [7, 3], true, false], // its weight gradient
      [[7, 5], [3, 7], true, true],
      [[1, 4, 6], [3, 2, 6], false, true],
      [[3, 6, 4], [1, 6, 2], true, false],
    ] as const) {
      const a = randomTensor([...aShape], rng);
      const b = randomTensor([...bShape], rng);
      const attrs = { transposeA, transposeB };
      const label = `${aShape}${transposeA ? 'ᵀ' : ''} x ${bShape}${transposeB ? 'ᵀ' : ''}`;
      expectClose(
        await runKernelOn('wasm', 'BatchMatMul', { a, b }, attrs),
        await runKernelOn('cpu', 'BatchMatMul', { a, b }, attrs),
        1e-5,
        label,
      );
    }
  });
});

// The native kernel (pooling.cc) where it is built, and the wasm loop.
describe.each(nativeKernels() ? ['native', 'wasm'] : ['wasm'])('MaxPoolGrad (%s)', (path) => {
  beforeAll(() => setNativeKernelsEnabled(path === 'native'));
  afterAll(() => setNativeKernelsEnabled(true));
  it('routes each window gradient to its first maximum: negative, tied and padded windows', async () => {
    const rng = new Rng(17);
    const x = randomTensor([3, 7, 7, 3], rng, -2, 0.5);
    // A block of zeros: every window inside it is a tie (post-ReLU dead regions).
    for (let i = 0; i < 3 * 3; i++) x.values[(((i / 3) | 0) * 7 + (i % 3)) * 3] = 0;
    for (const [filterSize, strides, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [3, 1, 1],
      [3, 2, 1], // ResNet-50's stem
    ] as const) {
      const y = await runKernelOn('cpu', 'MaxPool', { x }, { filterSize, strides, pad });
      const dy = randomTensor(y.shape, rng);
      const attrs = { filterSize, strides, pad };
      expectClose(
        await runKernelOn('wasm', 'MaxPoolGrad', { dy, input: x, output: y }, attrs),
        await runKernelOn('cpu', 'MaxPoolGrad', { dy, input: x, output: y }, attrs),
        1e-6,
        `${filterSize}/${strides}/${pad}`,
      );
    }
  });
});

describe('strided copy', () => {
  it('copies 3-D strided blocks inside the wasm heap, contiguous rows too', async () => {
    await tf.setBackend('wasm');
    const b = tf.backend() as unknown as WasmBackend;
    const { copy3d } = stridedCopyFor(b);
    const src = tf.range(0, 4 * 5 * 6, 1, 'float32');
    const dst = tf.zeros([4 * 5 * 6 * 2]);
    // Transpose [4,5,6] -> [6,5,4] into dst, then copy whole rows of 6 (memory.copy) into its second half.
    copy3d(heapOffset(b, dst), heapOffset(b, src), 4, 5, 6, 4, 4 * 4, 4 * 20, 4 * 30, 4 * 6, 4);
    copy3d(heapOffset(b, dst) + 4 * 120, heapOffset(b, src), 4, 5, 6, 4 * 30, 4 * 6, 4, 4 * 30, 4 * 6, 4);
    const out = dst.dataSync();
    const expected = new Float32Array(240);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 5; j++) for (let k = 0; k < 6; k++) expected[k * 20 + j * 4 + i] = i * 30 + j * 6 + k;
    for (let i = 0; i < 120; i++) expected[120 + i] = i;
    expect(Array.from(out)).toEqual(Array.from(expected));
    copy3d(heapOffset(b, dst), heapOffset(b, src), 0, 5, 6, 4, 4, 4, 4, 4, 4); // empty: a no-op
    expect(dst.dataSync()[0]).toBe(0);
    tf.dispose([src, dst]);
  });

  it('transposes 4x4 blocks (SIMD) from pixels-by-channels to channels-by-pixels', async () => {
    await tf.setBackend('wasm');
    const b = tf.backend() as unknown as WasmBackend;
    const { transpose4x4 } = stridedCopyFor(b);
    // src: 3 rows x 8 pixels x 8 channels; take every other pixel (stride 2) of each row: 4 pixels.
    const src = tf.range(0, 3 * 8 * 8, 1, 'float32');
    const dst = tf.zeros([8, 3, 4]);
    transpose4x4(heapOffset(b, dst), heapOffset(b, src), 2, 3, 1, 4 * 12, 4 * 4, 4 * 16, 4 * 64);
    const out = dst.dataSync();
    const expected = new Float32Array(96);
    for (let c = 0; c < 8; c++)
      for (let r = 0; r < 3; r++) for (let p = 0; p < 4; p++) expected[(c * 3 + r) * 4 + p] = r * 64 + 2 * p * 8 + c;
    expect(Array.from(out)).toEqual(Array.from(expected));
    tf.dispose([src, dst]);
  });
});

describe('memory', () => {
  it('leaves no tensor and no wasm buffer behind across repeated gradient calls', async () => {
    await tf.setBackend('wasm');
    const rng = new Rng(9);
    const x = tf.tensor4d(randomTensor([2, 8, 8, 3], rng).values, [2, 8, 8, 3]);
    const w1 = tf.tensor4d(randomTensor([3, 3, 3, 4], rng).values, [3, 3, 3, 4]);
    const w2 = tf.tensor4d(randomTensor([3, 3, 4, 4], rng).values, [3, 3, 4, 4]);
    const net = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      // tfjs's batchNorm gradient needs a scale tensor (it saves it for the backward pass).
      let h: tf.Tensor4D = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 1);
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      h = tf.relu(
        tf.batchNorm(h, mean as tf.Tensor1D, variance as tf.Tensor1D, tf.zeros([4]), tf.ones([4]), 1e-5),
      ) as tf.Tensor4D;
      h = tf.conv2d(h, c as tf.Tensor4D, 2, 'same');
      h = tf.batchNorm(h, tf.zeros([4]), tf.ones([4]), tf.zeros([4]), tf.fill([4], 2), 1e-5) as tf.Tensor4D;
      return tf.sum(tf.mean(tf.tile(tf.maxPool(h, 2, 2, 'valid'), [1, 1, 1, 2]), [1, 2]));
    };
    const step = () =>
      tf.tidy(() => {
        tf.grads(net)([x, w1, w2]).forEach((g) => g.dataSync());
      });
    step();
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
    tf.dispose([x, w1, w2]);
  });
});
