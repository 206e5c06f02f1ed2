/**
 * The native module's guard rails: it writes into the wasm heap, so malformed calls must throw a clear
 * error instead of touching memory outside the tensors. (Its numbers are checked against the cpu backend
 * in conv-kernels.test.ts and batch-norm-train.test.ts.)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const BINARY = new URL('../../../harness/tensor/native/build/Release/rftbench_native.node', import.meta.url).pathname;
type Kernel = (...args: unknown[]) => void;

describe.runIf(existsSync(BINARY))('native kernels module', () => {
  const native = createRequire(import.meta.url)(BINARY) as Record<
    'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter' | 'batchNormTrain' | 'batchNormTrainGrad',
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

  it('BatchNorm: normalises inside the heap and refuses what does not fit', () => {
    // x: 4 pixels x 2 channels, then weight, bias, y, mean, variance, invStd.
    const heap = new Float32Array(8 + 2 + 2 + 8 + 2 + 2 + 2);
    heap.set([1, 10, 2, 20, 3, 30, 4, 40], 0);
    heap.set([1, 2], 8);
    heap.set([0, 1], 10);
    const at = [0, 8, 10, 12, 20, 22, 24].map((f) => 4 * f);
    native.batchNormTrain(heap, Float64Array.from(at), 4, 2, 0, 1);
    expect(Array.from(heap.subarray(20, 24))).toEqual([2.5, 25, 1.25, 125]);
    const inv = 1 / Math.sqrt(1.25);
    expect(heap[12]).toBeCloseTo(-1.5 * inv, 5);
    expect(heap[13]).toBeCloseTo(2 * -1.5 * inv + 1, 5);
    const past = [...at.slice(0, 6), 4 * (heap.length - 1)];
    expect(() => native.batchNormTrain(heap, Float64Array.from(past), 4, 2, 0, 1)).toThrow(
      'batchNormTrain: a tensor extends past the end of the heap',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from(at), 8, 2, 0, 1)).toThrow(
      'batchNormTrain: a tensor extends past the end of the heap',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from(at.slice(1)), 4, 2, 0, 1)).toThrow(
      'batchNormTrain: offsets must be a Float64Array of 7 byte offsets',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from(at), 4, 0, 0, 1)).toThrow(
      'batchNormTrain: pixels and channels must be positive integers',
    );
    expect(() => native.batchNormTrain(heap, Float64Array.from(at), 4, 2, -1, 1)).toThrow(
      'batchNormTrain: eps must be a non-negative number',
    );
    expect(() => native.batchNormTrainGrad(heap, Float64Array.from([...at, 0]), 4, 2, 1, 1)).toThrow(
      'batchNormTrainGrad: expected (heap: Float32Array, offsets: Float64Array, pixels, channels, threads)',
    );
  });
});
