/**
 * @module Training-mode BatchNorm as two native kernels on the wasm backend (../native/batch_norm.cc),
 * used by harness/foundation/nn/batchnorm.ts when the native kernels are loaded: forward gives y and the batch
 * statistics in two passes over x, backward gives dx, dweight and dbias in two passes. tfjs's composite
 * runs about ten full-size element-wise kernels for the same. A ResNet's epilogue can ride along: + residual
 * (input `residual`), then ReLU (attr `relu`), as the separate Add and Relu kernels round them; the gradient
 * then takes the forward's output (`reluOut`) and masks dy by ReLU's step first, and with `residual` also
 * returns that masked dy (the residual's gradient). Only NHWC float32; the caller checks.
 */
import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeKernels, type NativeKernels } from '../native/native-kernels.ts';
import { heapFloats, heapOffset, type WasmBackend } from './wasm-internals.ts';

export const BATCH_NORM_TRAIN = 'RftbenchBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'RftbenchBatchNormTrainGrad';

export interface BatchNormTrainAttrs {
  varianceEpsilon: number;
  relu: boolean;
}

export interface BatchNormTrainGradAttrs {
  /** The forward added a residual: return its gradient (the masked dy) as a fourth output. */
  residual: boolean;
}

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

/** Byte offsets of the tensors in the heap, -1 for one left out. */
function offsetsOf(b: WasmBackend, tensors: (TensorInfo | undefined)[]): Float64Array {
  return Float64Array.from(tensors.map((t) => (t ? heapOffset(b, t) : -1)));
}

function checkSameShape(kernel: string, name: string, t: TensorInfo | undefined, x: TensorInfo): void {
  if (t && (t.dtype !== 'float32' || !util.arraysEqual(t.shape, x.shape)))
    throw new Error(`${kernel}: ${name} must be float32 of shape [${x.shape}], got ${t.dtype} [${t.shape}]`);
}

export const batchNormTrainConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, weight, bias, residual } = inputs as Record<'x' | 'weight' | 'bias', TensorInfo> & {
      residual?: TensorInfo;
    };
    const { varianceEpsilon, relu = false } = attrs as unknown as BatchNormTrainAttrs;
    checkSameShape(BATCH_NORM_TRAIN, 'residual', residual, x);
    const b = backend as unknown as WasmBackend;
    const [pixels, channels] = extent(x);
    const y = b.makeOutput([...x.shape], 'float32');
    const stats = [0, 1, 2].map(() => b.makeOutput([channels], 'float32'));
    const offsets = offsetsOf(b, [x, weight, bias, y, ...stats, residual]);
    native(BATCH_NORM_TRAIN).batchNormTrain(heapFloats(b), offsets, pixels, channels, varianceEpsilon, relu);
    return [y, ...stats];
  },
};

export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, x, mean, invStd, weight, reluOut } = inputs as Record<
      'dy' | 'x' | 'mean' | 'invStd' | 'weight',
      TensorInfo
    > & { reluOut?: TensorInfo };
    const residual = (attrs as unknown as Partial<BatchNormTrainGradAttrs>).residual ?? false;
    checkSameShape(BATCH_NORM_TRAIN_GRAD, 'reluOut', reluOut, x);
    const b = backend as unknown as WasmBackend;
    const [pixels, channels] = extent(x);
    const dx = b.makeOutput([...x.shape], 'float32');
    const dw = b.makeOutput([channels], 'float32');
    const db = b.makeOutput([channels], 'float32');
    const masked = residual ? b.makeOutput([...x.shape], 'float32') : undefined;
    const offsets = offsetsOf(b, [dy, x, mean, invStd, weight, dx, dw, db, reluOut, masked]);
    native(BATCH_NORM_TRAIN_GRAD).batchNormTrainGrad(heapFloats(b), offsets, pixels, channels);
    return masked ? [dx, dw, db, masked] : [dx, dw, db];
  },
};
