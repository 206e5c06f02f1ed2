/**
 * @module Conv2D followed by eval-mode BatchNorm (then a residual added, then ReLU: a ResNet block's end) in
 * one native pass: the rest is applied to each chunk of output rows while it is in cache, with the same float
 * operations as the separate Conv2D, FusedBatchNorm, Add and Relu kernels, so the outputs are the same bits.
 * Only registered on wasm, and only called (by nn/conv-batch-norm.ts) when the native kernels are loaded; its
 * gradient is ../gradients/conv2d-batch-norm-grad.ts.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { weightKey } from './weight-keys.ts';
import { nativeKernels } from '../native/native-kernels.ts';
import { convGeometry } from './conv-geometry.ts';
import { batchNormAffine } from './fused-batch-norm.ts';
import { CONV2D_BATCH_NORM, type Conv2DBatchNormAttrs } from './fused-kernel-names.ts';
import { geometryArray, nonEmpty } from './native-geometry.ts';
import { heapFloats, heapOffset, Temps, type WasmBackend } from './wasm-internals.ts';

export const conv2dBatchNormConfig: KernelConfig = {
  kernelName: CONV2D_BATCH_NORM,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { x, filter, mean, variance, offset, scale, residual } = args.inputs as Record<string, TensorInfo>;
    const a = args.attrs as unknown as Conv2DBatchNormAttrs;
    const native = nativeKernels();
    const g = convGeometry(CONV2D_BATCH_NORM, x.shape, filter.shape, a);
    if (!native || x.dtype !== 'float32' || !nonEmpty(g))
      throw new Error(`${CONV2D_BATCH_NORM}: needs the native kernels and a non-empty float32 convolution`);
    const b = args.backend as unknown as WasmBackend;
    const temps = new Temps(b);
    try {
      const affine = batchNormAffine(b, temps, { mean, variance, offset, scale }, g.co, a.varianceEpsilon);
      if (!affine) throw new Error(`${CONV2D_BATCH_NORM}: BatchNorm statistics must be float32 per channel`);
      const shape = [g.n, g.oh, g.ow, g.co];
      if (residual && (residual.dtype !== 'float32' || residual.shape.join() !== shape.join()))
        throw new Error(`${CONV2D_BATCH_NORM}: the residual must be float32 of the output's shape ${shape}`);
      const y = b.makeOutput(shape, 'float32');
      native.conv2dAffine(
        heapFloats(b),
        heapOffset(b, x),
        heapOffset(b, filter),
        heapOffset(b, y),
        geometryArray(g),
        heapOffset(b, affine.scale),
        heapOffset(b, affine.shift),
        a.relu,
        residual ? heapOffset(b, residual) : -1,
        weightKey(b, filter),
      );
      return y;
    } finally {
      temps.dispose();
    }
  },
};
