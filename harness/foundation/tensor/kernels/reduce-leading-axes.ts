/**
 * @module Sum and Mean over leading axes for the wasm backend: BatchNorm statistics and gradients and
 * every bias gradient reduce [N,H,W,C] over [0,1,2]. The stock kernels transpose the input first
 * (wasm's Transpose: 7-12 ns per element) and cost 30-70 ms on a [128,32,32,32] tensor. Viewed as
 * [1, groups, 256, C], the rows are averaged by XNNPACK's average pooling (about 2 ms, threaded) in
 * groups of 256, and the group means are combined in double precision (relative error ~2e-8; one
 * float32 pass over 131072 rows would give ~7e-6). Over the middle axes (a ResNet's global average pooling,
 * [N,H,W,C] over [1,2]) the native kernels sum each image's pixels in order, the stock kernel's float32 sums
 * without its transpose (0.8 ms on the small ResNet's [128,7,7,64]). Other reductions go to the stock kernels.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeKernels } from '../native/native-kernels.ts';
import { call, heapFloats, heapOffset, stockKernel, stockSetup, Temps, type WasmBackend } from './wasm-internals.ts';

/** Rows per pooled group. */
const GROUP = 256;

/** How many leading axes `axis` names, if it names exactly axes 0..k-1 (k < rank); else 0. */
function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort(
    (p, q) => p - q,
  );
  if (axes.length === 0 || axes.length >= rank) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/** Whether `axis` names exactly the axes between the first and the last (1..rank-2, rank >= 3). */
function middleAxes(axis: number | number[], rank: number): boolean {
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort(
    (p, q) => p - q,
  );
  return rank >= 3 && axes.length === rank - 2 && axes.every((a, i) => a === i + 1);
}

/** Over the middle axes on the native kernels, or undefined where they cannot (then the stock kernel runs). */
function reduceMiddle(name: 'Sum' | 'Mean', args: Parameters<KernelFunc>[0]): TensorInfo | undefined {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const native = nativeKernels();
  const shape = x.shape;
  if (!native || x.dtype !== 'float32' || !middleAxes(axis, shape.length) || util.sizeFromShape(shape) === 0)
    return undefined;
  const b = args.backend as unknown as WasmBackend;
  const [images, channels] = [shape[0], shape[shape.length - 1]];
  const pixels = util.sizeFromShape(shape.slice(1, -1));
  const out = b.makeOutput(
    keepDims ? [images, ...shape.slice(1, -1).map(() => 1), channels] : [images, channels],
    'float32',
  );
  native.spatialReduce(heapFloats(b), heapOffset(b, x), heapOffset(b, out), images, pixels, channels, name === 'Mean');
  return out;
}

function reduceLeading(name: 'Sum' | 'Mean'): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const middle = reduceMiddle(name, args);
    if (middle) return middle;
    const k = leadingAxes(axis, x.shape.length);
    const size = util.sizeFromShape(x.shape);
    if (k === 0 || x.dtype !== 'float32' || size === 0) return stockKernel(name).kernelFunc(args);
    const b = args.backend as unknown as WasmBackend;
    const rows = util.sizeFromShape(x.shape.slice(0, k));
    const cols = size / rows;
    const groups = Math.floor(rows / GROUP);
    const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
    const temps = new Temps(b);
    try {
      const sums = new Float64Array(cols);
      if (groups > 0) {
        const view = temps.alias(x, [1, groups, GROUP, cols]);
        const means = temps.add(
          call('AvgPool', b, { x: view }, { filterSize: [1, GROUP], strides: [1, GROUP], pad: 'valid' }),
        );
        const m = b.typedArrayFromHeap(means);
        for (let i = 0; i < m.length; i++) sums[i % cols] += m[i] * GROUP;
      }
      // Rows left over after whole groups.
      const xs = b.typedArrayFromHeap(x);
      for (let i = groups * GROUP * cols; i < size; i++) sums[i % cols] += xs[i];
      const out = b.makeOutput(outShape, 'float32');
      const o = b.typedArrayFromHeap(out);
      const scale = name === 'Mean' ? 1 / rows : 1;
      for (let c = 0; c < cols; c++) o[c] = sums[c] * scale;
      return out;
    } finally {
      temps.dispose();
    }
  };
}

export const sumConfig: KernelConfig = {
  kernelName: 'Sum',
  backendName: 'wasm',
  kernelFunc: reduceLeading('Sum'),
  setupFunc: stockSetup('Sum'),
};
export const meanConfig: KernelConfig = {
  kernelName: 'Mean',
  backendName: 'wasm',
  kernelFunc: reduceLeading('Mean'),
  setupFunc: stockSetup('Mean'),
};
