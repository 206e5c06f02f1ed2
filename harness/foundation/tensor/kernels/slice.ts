/**
 * @module Slice of a float32 or int32 tensor of rank <= 4 on the wasm backend as strided copies in the heap
 * (strided-copy.ts). The stock kernel walked a 4-D slice element by element: the gradient of ResNet-50's
 * max-pool padding (PadV2's gradient is a Slice of [16,34,34,64]) took 5.9 ms of a training step. Other
 * slices go to the stock kernel. A copy moves the same bits.
 */
import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { copy3dFor } from './strided-copy.ts';
import { heapOffset, stockKernel, stockSetup, type WasmBackend } from './wasm-internals.ts';

/** Elements of a tensor below which the stock kernel's per-call cost is lower than ours. */
const MIN_ELEMENTS = 4096;

export const sliceConfig: KernelConfig = {
  kernelName: 'Slice',
  backendName: 'wasm',
  setupFunc: stockSetup('Slice'),
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const rank = x.shape.length;
    if (rank === 0 || rank > 4 || (x.dtype !== 'float32' && x.dtype !== 'int32'))
      return stockKernel('Slice').kernelFunc(args);
    // tfjs's own reading of begin and size (-1: to the end).
    const [start, extent] = sliceInfo(x.shape, begin, size);
    const count = util.sizeFromShape(extent);
    if (count < MIN_ELEMENTS) return stockKernel('Slice').kernelFunc(args);
    const b = args.backend as unknown as WasmBackend;
    const out = b.makeOutput(extent, x.dtype);
    // As 4-D (leading 1s): strides in bytes of the source and of the (dense) output.
    const pad = 4 - rank;
    const shape = [...Array(pad).fill(1), ...x.shape];
    const from = [...Array(pad).fill(0), ...start];
    const dims = [...Array(pad).fill(1), ...extent];
    const srcStrides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1].map((s) => 4 * s);
    const dstStrides = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1].map((s) => 4 * s);
    const src = heapOffset(b, x) + from.reduce((acc, f, i) => acc + f * srcStrides[i], 0);
    const dst = heapOffset(b, out);
    const copy3d = copy3dFor(b);
    for (let i = 0; i < dims[0]; i++)
      copy3d(
        dst + i * dstStrides[0],
        src + i * srcStrides[0],
        dims[1],
        dims[2],
        dims[3],
        dstStrides[1],
        dstStrides[2],
        dstStrides[3],
        srcStrides[1],
        srcStrides[2],
        srcStrides[3],
      );
    return out;
  },
};

/** begin and size as tfjs reads them: a number is the first axis; -1 (or past the end) takes the rest. */
function sliceInfo(shape: number[], begin: number | number[], size: number | number[]): [number[], number[]] {
  const b = typeof begin === 'number' ? [begin, ...shape.slice(1).map(() => 0)] : [...begin];
  const s = typeof size === 'number' ? [size, ...shape.slice(1).map(() => -1)] : [...size];
  while (b.length < shape.length) b.push(0);
  while (s.length < shape.length) s.push(-1);
  const extent = shape.map((d, i) => (s[i] === -1 ? d - b[i] : s[i]));
  return [b, extent];
}
