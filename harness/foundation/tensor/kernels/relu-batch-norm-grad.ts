/**
 * @module ReLU's gradient followed by eval-mode BatchNorm's input gradient, in one native pass: what the fused
 * conv → BatchNorm → ReLU kernel's gradient (../gradients/conv2d-batch-norm-grad.ts) needs at the convolution's
 * output. The separate chain is tf.relu's dy·step(y) (Multiply and Step), then one FusedBatchNorm of that with
 * mean 0 and offset 0: three passes over the layer's output. Same floats in the same order, so the same bits
 * for finite values (a NaN in y stays NaN here; XNNPACK's clamp in the chain turns it into -inf). Registered on
 * wasm; without the native kernels it runs that chain of kernels itself.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { nativeKernels } from '../native/native-kernels.ts';
import { batchNormAffine } from './fused-batch-norm.ts';
import { RELU_BATCH_NORM_GRAD } from './fused-kernel-names.ts';
import { call, heapFloats, heapOffset, Temps, type WasmBackend } from './wasm-internals.ts';

export const reluBatchNormGradConfig: KernelConfig = {
  kernelName: RELU_BATCH_NORM_GRAD,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { dy, y, variance, scale } = args.inputs as Record<string, TensorInfo>;
    const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
    const native = nativeKernels();
    const channels = dy.shape[dy.shape.length - 1];
    const pixels = dy.shape.slice(0, -1).reduce((a, d) => a * d, 1);
    const b = args.backend as unknown as WasmBackend;
    const temps = new Temps(b);
    try {
      // Mean 0 and offset 0, as batchNormInputGrad passes them.
      const fits = native && dy.dtype === 'float32' && y.dtype === 'float32' && pixels > 0 && channels > 0;
      const affine = fits ? batchNormAffine(b, temps, { variance, scale }, channels, varianceEpsilon) : undefined;
      if (!native || !affine) {
        // The separate kernels: tf.relu's dy·step(y), then batchNormInputGrad's BatchNorm with mean 0.
        const step = temps.add(call('Step', b, { x: y }, { alpha: 0 }));
        const masked = temps.add(call('Multiply', b, { a: dy, b: step }));
        const mean = temps.add(b.makeOutput([channels], 'float32'));
        b.typedArrayFromHeap(mean).fill(0);
        return call('FusedBatchNorm', b, { x: masked, mean, variance, scale }, { varianceEpsilon });
      }
      const out = b.makeOutput(dy.shape, 'float32');
      const offsets = Float64Array.from([dy, y, affine.scale, affine.shift, out].map((t) => heapOffset(b, t)));
      native.reluBatchNormGrad(heapFloats(b), offsets, pixels, channels);
      return out;
    } finally {
      temps.dispose();
    }
  },
};
