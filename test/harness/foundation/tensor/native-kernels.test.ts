/**
 * The native module's guard rails: it writes into the wasm heap, so malformed calls must throw a clear
 * error instead of touching memory outside the tensors. (Its numbers are checked against the cpu backend
 * in conv-kernels.test.ts and batch-norm-train.test.ts.)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  convKernel,
  inputGradKernel,
  winogradSuits,
} from '../../../../harness/foundation/tensor/native/native-kernels.ts';

const BINARY = new URL(
  '../../../../harness/foundation/tensor/native/build/Release/rftbench_native.node',
  import.meta.url,
).pathname;
type Kernel = (...args: unknown[]) => void;

describe.runIf(existsSync(BINARY))('native kernels module', () => {
  const native = createRequire(import.meta.url)(BINARY) as Record<
    | 'conv2d'
    | 'conv2dBackpropInput'
    | 'conv2dBackpropFilter'
    | 'conv2dWinograd'
    | 'conv2dBackpropInputWinograd'
    | 'conv2dDirect'
    | 'conv2dBackpropInputDirect'
    | 'maxPoolGrad'
    | 'batchNormTrain'
    | 'batchNormTrainGrad'
    | 'sgdStep'
    | 'spatialReduce',
    Kernel
  >;
  // n h w ci co kh kw sh sw oh ow top left: 1x4x4x2 -> 3 channels, 3x3, stride 1, pad 1.
  const geometry = Int32Array.of(1, 4, 4, 2, 3, 3, 3, 1, 1, 4, 4, 1, 1);
  const sizes = { x: 32, w: 54, y: 48 };

  it('computes a convolution inside a heap that holds its tensors', () => {
    const heap = new Float32Array(sizes.x + sizes.w + sizes.y).fill(1);
    native.conv2d(heap, 0, 4 * sizes.x, 4 * (sizes.x + sizes.w), geometry, 2);
    const y = heap.subarray(sizes.x + sizes.w);
    // All-ones input and filter: a corner output sees 2x2 taps of 2 channels, an inner one 3x3.
    expect(y[0]).toBe(8);
    expect(y[(1 * 4 + 1) * 3]).toBe(18);
  });

  it('refuses tensors past the end of the heap, bad geometry and bad arguments', () => {
    const heap = new Float32Array(sizes.x + sizes.w + sizes.y);
    // Each kernel's output placed one float too far: y for conv2d, dx for the input gradient, dW for the filter's.
    const outputs = { conv2d: sizes.y, conv2dBackpropInput: sizes.x, conv2dBackpropFilter: sizes.w } as const;
    for (const [k, size] of Object.entries(outputs) as [keyof typeof outputs, number][]) {
      expect(() => native[k](heap, 0, 0, 4 * (heap.length - size + 1), geometry, 1)).toThrow(
        `${k}: a tensor extends past the end of the heap`,
      );
      expect(() => native[k](heap, 0, 0, 4 * (heap.length - size), geometry, 1)).not.toThrow();
    }
    expect(() => native.conv2d(heap, 0, 0, 0, Int32Array.of(1, 4, 4, 2, 3, 3, 3, 0, 1, 4, 4, 1, 1), 1)).toThrow(
      'conv2d: geometry entry 7 must be positive',
    );
    expect(() => native.conv2d(heap, 0, 0, 0, Int32Array.of(1, 4, 4, 2, 3, 3, 3, 1, 1, 4, 4, -1, 1), 1)).toThrow(
      'conv2d: padding must not be negative',
    );
    expect(() => native.conv2d(heap, 2, 0, 0, geometry, 1)).toThrow(
      'conv2d: offsets must be non-negative multiples of 4',
    );
    expect(() => native.conv2d(heap, 0, 0, 0, geometry, 0)).toThrow('conv2d: threads must be a positive integer');
    expect(() => native.conv2d(new Int32Array(4), 0, 0, 0, geometry, 1)).toThrow(
      'conv2d: expected (heap: Float32Array',
    );
    expect(() => native.conv2d(heap, 0, 0, 0, new Int32Array(12), 1)).toThrow(
      'conv2d: geometry must be an Int32Array of 13 numbers',
    );
  });

  it('BatchNorm: normalises inside the heap, adds a residual and clamps, and refuses what does not fit', () => {
    // x: 4 pixels x 2 channels, then weight, bias, y, mean, variance, invStd, residual.
    const heap = new Float32Array(8 + 2 + 2 + 8 + 2 + 2 + 2 + 8);
    heap.set([1, 10, 2, 20, 3, 30, 4, 40], 0);
    heap.set([1, 2], 8);
    heap.set([0, 1], 10);
    heap.set([0, 0, 0, 0, 0, 0, 0, -100], 26);
    const at = [...[0, 8, 10, 12, 20, 22, 24].map((f) => 4 * f), -1];
    native.batchNormTrain(heap, Float64Array.from(at), 4, 2, 0, false, 1);
    expect(Array.from(heap.subarray(20, 24))).toEqual([2.5, 25, 1.25, 125]);
    const inv = 1 / Math.sqrt(1.25);
    expect(heap[12]).toBeCloseTo(-1.5 * inv, 5);
    expect(heap[13]).toBeCloseTo(2 * -1.5 * inv + 1, 5);
    // + residual (the last pixel's second channel gets -100), then ReLU.
    const withResidual = [...at.slice(0, 7), 4 * 26];
    native.batchNormTrain(heap, Float64Array.from(withResidual), 4, 2, 0, true, 1);
    expect(heap[12]).toBe(0);
    expect(heap[18]).toBeCloseTo(1.5 * inv, 5);
    expect(heap[19]).toBe(0);
    const past = [...at.slice(0, 6), 4 * (heap.length - 1), -1];
    expect(() => native.batchNormTrain(heap, Float64Array.from(past), 4, 2, 0, false, 1)).toThrow(
      'batchNormTrain: a tensor extends past the end of the heap',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from(at), 16, 2, 0, false, 1)).toThrow(
      'batchNormTrain: a tensor extends past the end of the heap',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from(at.slice(1)), 4, 2, 0, false, 1)).toThrow(
      'batchNormTrain: offsets must be a Float64Array of 8 byte offsets',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from([-1, ...at.slice(1)]), 4, 2, 0, false, 1)).toThrow(
      'batchNormTrain: tensor 0 is required',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from(at), 4, 0, 0, false, 1)).toThrow(
      'batchNormTrain: pixels and channels must be positive integers',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from(at), 4, 2, -1, false, 1)).toThrow(
      'batchNormTrain: eps must be a non-negative number',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from(at), 4, 2, 0, 1, 1)).toThrow(
      'batchNormTrain: relu must be a boolean',
    );
    expect(() => native.batchNormTrainGrad(heap, Float64Array.from([...at, 0, 0]), 4, 2, 1, 1)).toThrow(
      'batchNormTrainGrad: expected (heap: Float32Array, offsets: Float64Array, pixels, channels, threads)',
    );
  });

  it('spatial reduce: sums or averages each image over its pixels, and refuses what does not fit', () => {
    // x: 2 images x 3 pixels x 2 channels, then y: 2 x 2.
    const heap = new Float32Array(16);
    heap.set([1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60], 0);
    native.spatialReduce(heap, 0, 48, 2, 3, 2, false, 2);
    expect(Array.from(heap.subarray(12))).toEqual([6, 60, 15, 150]);
    native.spatialReduce(heap, 0, 48, 2, 3, 2, true, 1);
    expect(Array.from(heap.subarray(12))).toEqual([2, 20, 5, 50]);
    expect(() => native.spatialReduce(heap, 0, 52, 2, 3, 2, true, 1)).toThrow(
      'spatialReduce: a tensor extends past the end of the heap',
    );
    expect(() => native.spatialReduce(heap, 0, 48, 2, 0, 2, true, 1)).toThrow(
      'spatialReduce: expected (heap: Float32Array, x, y: byte offsets (multiples of 4), images, pixels, channels > 0',
    );
  });

  it('SGD step: updates inside the heap and refuses what does not fit', () => {
    // w, grad, buffer, new w, new buffer: 3 floats each.
    const heap = new Float32Array(15);
    heap.set([1, 2, 3, 0.5, -0.5, 1, 0.1, 0.1, 0.1], 0);
    // weight decay 0 (off), momentum 0.5, 1 - dampening 1, lr 0.1.
    const k = Float64Array.of(0, 0.5, 1, 0.1, 0, 1, 0, 0);
    native.sgdStep(heap, Float64Array.from([0, 3, 6, 9, 12].map((f) => 4 * f)), 3, k, 2);
    // buf = 0.5·0.1 + g; w −= 0.1·buf.
    expect(Array.from(heap.subarray(12, 15))).toEqual([0.55, -0.45, 1.05].map(Math.fround));
    expect(heap[9]).toBeCloseTo(1 - 0.055, 6);
    // The first momentum step has no buffer (-1): the new buffer starts as g.
    native.sgdStep(heap, Float64Array.from([0, 12, -1, 36, 48]), 3, k, 1);
    expect(Array.from(heap.subarray(12, 15))).toEqual([0.5, -0.5, 1]);
    expect(() => native.sgdStep(heap, Float64Array.from([0, 12, 24, 36, 52]), 3, k, 1)).toThrow(
      'sgdStep: a tensor extends past the end of the heap',
    );
    expect(() => native.sgdStep(heap, Float64Array.from([0, 12, 24, 36, -1]), 3, k, 1)).toThrow(
      'sgdStep: offset 4 must be a non-negative multiple of 4',
    );
    expect(() => native.sgdStep(heap, Float64Array.from([0, 12, 24, 36]), 3, k, 1)).toThrow(
      'sgdStep: expected (heap: Float32Array, offsets: Float64Array(5)',
    );
  });

  // OpenBLAS sends small products to kernels that round differently (gemm.cc): the first image's results must be
  // the same bits alone as among 8. These shapes differed before RowStableSgemm.
  it.each([
    ['conv2dBackpropInput', 'a 1x1 stride-2 shortcut, 4x4x256 -> 2x2x512', [4, 4, 256, 512, 1, 2, 2, 0]],
    ['conv2dBackpropInputWinograd', 'a 3x3 on a 2x2 map, 512 -> 512', [2, 2, 512, 512, 3, 1, 2, 1]],
    ['conv2d', 'a 1x1 stride-2 shortcut, 4x4x256 -> 2x2x512', [4, 4, 256, 512, 1, 2, 2, 0]],
  ] as const)('%s: an image gives the same bits alone as in a batch (%s)', (kernel, _, shape) => {
    const [h, w, ci, co, k, s, o, pad] = shape;
    const geometry = (n: number) => Int32Array.of(n, h, w, ci, co, k, k, s, s, o, o, pad, pad);
    const [inFloats, filterFloats, outFloats] = [h * w * ci, k * k * ci * co, o * o * co];
    // conv2d reads x and writes y; the input gradients read dy (the output's size) and write dx.
    const forward = kernel === 'conv2d';
    const [readPer, writePer] = forward ? [inFloats, outFloats] : [outFloats, inFloats];
    const heap = new Float32Array(8 * readPer + filterFloats + 9 * writePer);
    for (let i = 0; i < 8 * readPer + filterFloats; i++) heap[i] = Math.sin(0.37 * i);
    const out = 8 * readPer + filterFloats;
    native[kernel](heap, 0, 4 * 8 * readPer, 4 * out, geometry(8), 1);
    native[kernel](heap, 0, 4 * 8 * readPer, 4 * (out + 8 * writePer), geometry(1), 1);
    expect(heap.slice(out + 8 * writePer)).toEqual(heap.slice(out, out + writePer));
  });

  // Few rows against a wide filter: on 2 threads the columns are split (conv_gemm.cc, SplitColumns), on 1 they are
  // not; the outputs and input gradients must be the same bits.
  it.each([
    ['a 3x3 on a 2x2 map, 96 -> 200', [3, 2, 2, 96, 200, 3, 1]],
    ['a 1x1 on a 2x3 map, 96 -> 200', [7, 2, 3, 96, 200, 1, 0]],
    ['a 3x3 valid on 4x4, 64 -> 128', [5, 4, 4, 64, 128, 3, 0]],
  ] as const)('im2col products split by columns on 2 threads give the 1-thread bits (%s)', (_, shape) => {
    const [n, h, w, ci, co, k, pad] = shape;
    const [oh, ow] = [h + 2 * pad - k + 1, w + 2 * pad - k + 1];
    const geometry = Int32Array.of(n, h, w, ci, co, k, k, 1, 1, oh, ow, pad, pad);
    const [xs, ws, ys] = [n * h * w * ci, k * k * ci * co, n * oh * ow * co];
    const heap = new Float32Array(xs + ws + ys + 2 * (xs + ys));
    for (let i = 0; i < xs + ws + ys; i++) heap[i] = Math.sin(0.37 * i);
    const [x, filter, dy, out] = [0, xs, xs + ws, xs + ws + ys].map((f) => 4 * f);
    const run = (threads: number, at: number) => {
      native.conv2d(heap, x, filter, at, geometry, threads);
      native.conv2dBackpropInput(heap, dy, filter, at + 4 * ys, geometry, threads);
      return heap.slice(at / 4, at / 4 + ys + xs);
    };
    const one = run(1, out);
    const two = run(2, out + 4 * (xs + ys));
    expect(one.some((v) => v !== 0)).toBe(true);
    expect(two).toEqual(one);
  });

  // The pool's workers spin for a while after each job, then sleep (thread_pool.cc): a job must run whether it
  // comes back to back with the last one or after the workers went to sleep, on any worker count.
  it('pool: jobs back to back and after the workers slept give the 1-thread bits', async () => {
    const g = Int32Array.of(6, 5, 5, 8, 16, 3, 3, 1, 1, 5, 5, 1, 1);
    const [xs, ws, ys] = [6 * 5 * 5 * 8, 9 * 8 * 16, 6 * 5 * 5 * 16];
    const heap = new Float32Array(xs + ws + 2 * ys);
    for (let i = 0; i < xs + ws; i++) heap[i] = Math.cos(0.11 * i);
    const run = (threads: number) => {
      heap.fill(0, xs + ws + ys);
      native.conv2d(heap, 0, 4 * xs, 4 * (xs + ws + ys), g, threads);
      return heap.slice(xs + ws + ys);
    };
    native.conv2d(heap, 0, 4 * xs, 4 * (xs + ws), g, 1);
    const one = heap.slice(xs + ws, xs + ws + ys);
    expect(one.some((v) => v !== 0)).toBe(true);
    for (const threads of [2, 3, 6]) {
      for (let i = 0; i < 50; i++) expect(run(threads)).toEqual(one);
      // Longer than the workers' spin (300 us): they sleep, and the next job must wake them.
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(run(threads)).toEqual(one);
      }
    }
  });

  describe('Winograd F(2x2, 3x3)', () => {
    // 3 images 9x7x40 -> 48 channels, pad 1 top/left: odd sizes give partial tiles on the bottom and right.
    const g = Int32Array.of(3, 9, 7, 40, 48, 3, 3, 1, 1, 9, 7, 1, 1);
    const [xs, ws, ys] = [3 * 9 * 7 * 40, 9 * 40 * 48, 3 * 9 * 7 * 48];
    const heap = new Float32Array(xs + ws + 4 * ys);
    for (let i = 0; i < xs + ws + ys; i++) heap[i] = Math.sin(0.37 * i);
    const at = (k: number) => 4 * (xs + ws + k * ys);
    const region = (k: number) => heap.slice(xs + ws + k * ys, xs + ws + (k + 1) * ys);

    // dy is region 0 (the sines), dx goes after the filter's place in a second heap of the input's size.
    type InputGrad = 'conv2dBackpropInput' | 'conv2dBackpropInputWinograd' | 'conv2dBackpropInputDirect';
    const inputGrad = (kernel: InputGrad, threads: number) => {
      const h = new Float32Array(heap.length + xs);
      h.set(heap);
      native[kernel](h, at(0), 4 * xs, 4 * heap.length, g, threads);
      return h.slice(heap.length);
    };
    const expectNear = (ours: Float32Array, im2col: Float32Array) => {
      const scale = Math.max(...im2col.map(Math.abs));
      expect(Math.max(...im2col.map((v, i) => Math.abs(v - ours[i])))).toBeLessThan(1e-5 * scale);
    };

    it('agrees with im2col to float rounding and does not depend on the thread count', () => {
      native.conv2d(heap, 0, 4 * xs, at(1), g, 2);
      native.conv2dWinograd(heap, 0, 4 * xs, at(2), g, 1);
      native.conv2dWinograd(heap, 0, 4 * xs, at(3), g, 2);
      const [im2col, one, two] = [region(1), region(2), region(3)];
      expect(two).toEqual(one);
      expectNear(one, im2col);
      // Its sums are its own: the records must say which algorithm ran.
      expect(one).not.toEqual(im2col);
    });

    it('input gradient: agrees with im2col and does not depend on the thread count', () => {
      const one = inputGrad('conv2dBackpropInputWinograd', 1);
      expect(inputGrad('conv2dBackpropInputWinograd', 2)).toEqual(one);
      expectNear(one, inputGrad('conv2dBackpropInput', 2));
    });

    it('direct kernel: agrees with im2col to float rounding, forward and input gradient, whatever the threads', () => {
      native.conv2dDirect(heap, 0, 4 * xs, at(2), g, 1);
      native.conv2dDirect(heap, 0, 4 * xs, at(3), g, 2);
      native.conv2d(heap, 0, 4 * xs, at(1), g, 2);
      expect(region(3)).toEqual(region(2));
      expectNear(region(2), region(1));
      const direct = inputGrad('conv2dBackpropInputDirect', 1);
      expect(inputGrad('conv2dBackpropInputDirect', 2)).toEqual(direct);
      expectNear(direct, inputGrad('conv2dBackpropInput', 2));
    });

    it('direct kernel and MaxPool gradient refuse what they cannot compute, naming the kernel', () => {
      const twelveOut = Int32Array.of(1, 4, 4, 2, 12, 3, 3, 1, 1, 4, 4, 1, 1);
      expect(() => native.conv2dDirect(heap, 0, 0, 0, twelveOut, 1)).toThrow(/conv2dDirect: needs AVX2/);
      const strided = Int32Array.of(1, 8, 8, 16, 16, 3, 3, 2, 2, 4, 4, 1, 1);
      expect(() => native.conv2dBackpropInputDirect(heap, 0, 0, 0, strided, 1)).toThrow(
        /conv2dBackpropInputDirect: needs AVX2/,
      );
      const pool = Int32Array.of(1, 4, 4, 2, 3, 2, 2, 2, 2, 2, 2, 0, 0);
      expect(() => native.maxPoolGrad(heap, 0, 0, 0, pool, 1)).toThrow(/maxPoolGrad: a pooling geometry/);
    });

    it('refuses geometry other than 3x3 stride 1', () => {
      const strided = Int32Array.of(1, 4, 4, 2, 3, 3, 3, 2, 2, 2, 2, 1, 1);
      expect(() => native.conv2dWinograd(heap, 0, 0, 0, strided, 1)).toThrow(
        'conv2dWinograd: needs a 3x3 filter and stride 1',
      );
      const fiveByFive = Int32Array.of(1, 4, 4, 2, 3, 5, 5, 1, 1, 4, 4, 2, 2);
      expect(() => native.conv2dBackpropInputWinograd(heap, 0, 0, 0, fiveByFive, 1)).toThrow(
        'conv2dBackpropInputWinograd: needs a 3x3 filter and stride 1',
      );
    });
  });
});

describe('winogradSuits: which convolutions auto computes by Winograd', () => {
  // n h w ci co kh kw sh sw oh ow top left
  const g = (n: number, size: number, ci: number, co: number, stride = 1) => {
    const out = Math.ceil(size / stride);
    return Int32Array.of(n, size, size, ci, co, 3, 3, stride, stride, out, out, 1, 1);
  };
  it('auto: 3x3 stride 1, >= 128 channels each way, maps of 4x4 or more, little of the tiles outside the map', () => {
    expect(winogradSuits(g(32, 16, 128, 128), 'auto')).toBe(true);
    expect(winogradSuits(g(32, 8, 256, 256), 'auto')).toBe(true);
    // Whatever the batch: an image's outputs must not depend on the images beside it.
    for (const n of [1, 3, 8, 32]) expect(winogradSuits(g(n, 8, 256, 256), 'auto')).toBe(true);
    expect(winogradSuits(g(32, 4, 512, 512), 'auto')).toBe(true); // 4x4 map: no tile wasted
    expect(winogradSuits(g(32, 2, 512, 512), 'auto')).toBe(false); // 2x2 map: one tile an image
    expect(winogradSuits(g(32, 32, 64, 64), 'auto')).toBe(false); // 64 channels
    expect(winogradSuits(g(64, 9, 128, 128), 'auto')).toBe(false); // 9x9: 23% of the tiles' outputs wasted
    expect(winogradSuits(g(32, 32, 3, 64), 'auto')).toBe(false); // the stem
    expect(winogradSuits(g(32, 32, 128, 256, 2), 'auto')).toBe(false);
  });
  it('winograd forces it wherever the geometry allows; im2col never', () => {
    expect(winogradSuits(g(32, 32, 3, 64), 'winograd')).toBe(true);
    expect(winogradSuits(g(1, 3, 1, 1), 'winograd')).toBe(true);
    expect(winogradSuits(g(32, 32, 64, 128, 2), 'winograd')).toBe(false);
    expect(winogradSuits(g(32, 32, 64, 64), 'im2col')).toBe(false);
  });
});

describe('convKernel: the kernel each convolution and input gradient runs on', () => {
  // n h w ci co kh kw sh sw oh ow top left, 'same' padding
  const g = (n: number, size: number, ci: number, co: number, k = 3, stride = 1) => {
    const out = Math.ceil(size / stride);
    const pad = Math.max(0, Math.floor(((out - 1) * stride + k - size) / 2));
    return Int32Array.of(n, size, size, ci, co, k, k, stride, stride, out, out, pad, pad);
  };
  it('auto: Winograd where it suits, direct for up to 64 channels out, im2col for the rest', () => {
    expect(convKernel(g(32, 16, 128, 128), 'auto', true)).toBe('winograd');
    expect(convKernel(g(128, 28, 16, 16), 'auto', true)).toBe('direct');
    expect(convKernel(g(32, 32, 64, 64), 'auto', true)).toBe('direct');
    expect(convKernel(g(16, 64, 3, 64, 7, 2), 'auto', true)).toBe('direct'); // ResNet-50's stem
    expect(convKernel(g(32, 4, 512, 512), 'auto', true)).toBe('winograd'); // 4x4: its transform is kept
    expect(convKernel(g(32, 2, 512, 512), 'auto', true)).toBe('im2col'); // 2x2: no Winograd, too wide for direct
    expect(convKernel(g(32, 16, 128, 256, 3, 2), 'auto', true)).toBe('im2col');
    expect(convKernel(g(32, 16, 64, 64, 1), 'auto', true)).toBe('im2col'); // a plain product: OpenBLAS directly
    expect(convKernel(g(32, 16, 64, 12), 'auto', true)).toBe('im2col'); // not a multiple of 8 channels out
    // A CPU without AVX2 + FMA never runs the direct kernel, whatever is asked.
    expect(convKernel(g(128, 28, 16, 16), 'auto', false)).toBe('im2col');
    expect(convKernel(g(128, 28, 16, 16), 'direct', false)).toBe('im2col');
  });
  it('direct forces it wherever the channels allow; winograd and im2col never pick it', () => {
    expect(convKernel(g(32, 4, 512, 512), 'direct', true)).toBe('direct');
    expect(convKernel(g(32, 16, 64, 64, 1), 'direct', true)).toBe('direct');
    expect(convKernel(g(32, 16, 64, 12), 'direct', true)).toBe('im2col');
    expect(convKernel(g(32, 32, 64, 64), 'winograd', true)).toBe('winograd');
    expect(convKernel(g(32, 32, 64, 64, 3, 2), 'winograd', true)).toBe('im2col');
    expect(convKernel(g(32, 32, 64, 64), 'im2col', true)).toBe('im2col');
  });
  it('an input gradient is its own stride-1 convolution of dy: channels swap, strided ones stay on im2col', () => {
    expect(inputGradKernel(g(128, 28, 16, 32), 'auto', true)).toBe('direct');
    expect(inputGradKernel(g(128, 28, 1, 16), 'auto', true)).toBe('im2col'); // dx has 1 channel
    expect(inputGradKernel(g(128, 28, 16, 32, 3, 2), 'auto', true)).toBe('im2col');
    expect(inputGradKernel(g(32, 16, 128, 128), 'auto', true)).toBe('winograd');
    // Padding wider than the filter leaves no stride-1 convolution of dy.
    const wide = Int32Array.of(1, 8, 8, 16, 16, 3, 3, 1, 1, 12, 12, 3, 3);
    expect(inputGradKernel(wide, 'direct', true)).toBe('im2col');
  });
});
