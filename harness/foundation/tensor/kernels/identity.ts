/**
 * @module Identity, and Cast to the same dtype, for the wasm backend without a copy. The stock kernels
 * copy the whole tensor; tfjs calls them for every clone, for the gradient plumbing of add/sub/relu
 * and for `cast(step(x), 'float32')` in the ReLU gradient. Sharing the data under a reference count
 * is what the cpu backend does and what wasm's own Reshape does; no wasm kernel writes into its input.
 * Cast to bool is also fixed: the stock kernel stores the value modulo 256 (-1.7 becomes 255, 256
 * becomes 0) where tfjs means `x != 0`.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { stockKernel, stockSetup, type WasmBackend } from './wasm-internals.ts';

function share(x: TensorInfo, backend: unknown): TensorInfo {
  (backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const identity: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  return x.dtype === 'string' ? stockKernel('Identity').kernelFunc(args) : share(x, args.backend);
};

const cast: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { dtype } = args.attrs as { dtype: string };
  if (dtype === x.dtype && dtype !== 'string') return share(x, args.backend);
  if (dtype === 'bool' && x.dtype !== 'string') {
    const b = args.backend as unknown as WasmBackend;
    const out = b.makeOutput(x.shape, 'bool');
    const src = b.typedArrayFromHeap(x);
    const dst = b.typedArrayFromHeap(out);
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
    return out;
  }
  return stockKernel('Cast').kernelFunc(args);
};

export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identity,
  setupFunc: stockSetup('Identity'),
};
export const castConfig: KernelConfig = {
  kernelName: 'Cast',
  backendName: 'wasm',
  kernelFunc: cast,
  setupFunc: stockSetup('Cast'),
};
