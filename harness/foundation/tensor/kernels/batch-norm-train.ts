/**
 * @module Training-mode BatchNorm as two native kernels on the wasm backend (../native/batch_norm.cc),
 * used by harness/foundation/nn/batchnorm.ts when the native kernels are loaded: forward gives y and the batch
 * statistics in two passes over x, backward gives dx, dweight and dbias in two passes. tfjs's composite
 * runs about ten full-size element-wise kernels for the same. Only NHWC float32; the caller checks.
 */
import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeKernels, type NativeKernels } from '../native/native-kernels.ts';
import { heapFloats, heapOffset, type WasmBackend } from './wasm-internals.ts';

export const BATCH_NORM_TRAIN = 'RftbenchBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'RftbenchBatchNormTrainGrad';

function native(kernel: string): NativeKernels {
  const n = nativeKernels();
  if (!n)
    throw new Error(`${kernel}: needs the native kernels (harness/foundation/tensor/native), which are not loaded`);
  return n;
}

/** Pixels and channels of an NHWC tensor. */
function extent(x: TensorInfo): [number, number] {
  const channels = x.shape[x.shape.length - 1];
  return [util.sizeFromShape(x.shape) / channels, channels];
}

export const batchNormTrainConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
    const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
    const b = backend as unknown as WasmBackend;
    const [pixels, channels] = extent(x);
    const y = b.makeOutput([...x.shape], 'float32');
    const stats = [0, 1, 2].map(() => b.makeOutput([channels], 'float32'));
    const offsets = Float64Array.from([x, weight, bias, y, ...stats].map((t) => heapOffset(b, t)));
    native(BATCH_NORM_TRAIN).batchNormTrain(heapFloats(b), offsets, pixels, channels, eps);
    return [y, ...stats];
  },
};

export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const { dy, x, mean, invStd, weight } = inputs as Record<'dy' | 'x' | 'mean' | 'invStd' | 'weight', TensorInfo>;
    const b = backend as unknown as WasmBackend;
    const [pixels, channels] = extent(x);
    const dx = b.makeOutput([...x.shape], 'float32');
    const dw = b.makeOutput([channels], 'float32');
    const db = b.makeOutput([channels], 'float32');
    const offsets = Float64Array.from([dy, x, mean, invStd, weight, dx, dw, db].map((t) => heapOffset(b, t)));
    native(BATCH_NORM_TRAIN_GRAD).batchNormTrainGrad(heapFloats(b), offsets, pixels, channels);
    return [dx, dw, db];
  },
};
