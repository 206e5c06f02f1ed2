/**
 * @module The gradient of the fused conv → eval-mode BatchNorm (→ + residual) (→ ReLU) kernel, so PGD's and
 * APGD's forward passes run it under the tape too: one pass over each layer's output instead of three, and the
 * tape keeps x and y instead of every intermediate. Each input's gradient is the chain of the separate kernels'
 * own gradients, op for op (tf.relu's mask, then batchNormInputGrad, then tfjs's Conv2D gradients), so
 * gradients are the same bits as with the separate kernels (and Add's, for a residual). Only what is asked
 * for runs: a PGD step asks for x alone; the BatchNorm statistics' gradients recompute the convolution.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CONV2D_BATCH_NORM, type Conv2DBatchNormAttrs, RELU_BATCH_NORM_GRAD } from '../kernels/fused-kernel-names.ts';
import { batchNormInputGrad, fusedBatchNormGradConfig } from './fused-batch-norm-grad.ts';

type Saved = [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor4D];

export const conv2dBatchNormGradConfig: tf.GradConfig = {
  kernelName: CONV2D_BATCH_NORM,
  inputsToSave: ['x', 'filter', 'mean', 'variance', 'offset', 'scale'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, mean, variance, , scale, y] = saved as Saved;
    const a = attrs as unknown as Conv2DBatchNormAttrs;
    // The attributes tfjs's own Conv2D gradient passes (no dimRoundingMode: the shapes are given).
    const conv = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat } as unknown as tf.NamedAttrMap;
    // At the BatchNorm's output: tf.relu's gradient, dy · step(relu input); y > 0 exactly where that input is.
    const atBatchNorm = () => (a.relu ? tf.mul(dy as tf.Tensor, tf.step(y)) : (dy as tf.Tensor)) as tf.Tensor4D;
    // At the convolution's output. Recomputed by each input's gradient: the engine frees each one's tensors.
    // With a ReLU, on wasm, the mask and the BatchNorm are one kernel (one native pass, same bits).
    const oneNativePass = a.relu && tf.getBackend() === 'wasm' && tf.getKernel(RELU_BATCH_NORM_GRAD, 'wasm');
    const atConv = () =>
      oneNativePass
        ? (tf
            .engine()
            .runKernel(
              RELU_BATCH_NORM_GRAD,
              { dy: dy as tf.Tensor, y, variance, scale },
              { varianceEpsilon: a.varianceEpsilon },
            ) as tf.Tensor4D)
        : batchNormInputGrad(atBatchNorm(), mean, variance, scale, a.varianceEpsilon);
    const statistics = () =>
      fusedBatchNormGradConfig.gradFunc(
        atBatchNorm(),
        [tf.conv2d(x, filter, a.strides, a.pad, 'NHWC', 1, a.dimRoundingMode), mean, variance, scale],
        { varianceEpsilon: a.varianceEpsilon },
      );
    return {
      x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: atConv(), filter }, { ...conv, inputShape: x.shape }),
      filter: () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: atConv() }, { ...conv, filterShape: filter.shape }),
      mean: () => statistics().mean(),
      variance: () => statistics().variance(),
      scale: () => statistics().scale(),
      offset: () => statistics().offset(),
      // tf.add's gradient passes ReLU's straight through to the residual.
      residual: () => atBatchNorm(),
    } as { [name: string]: () => tf.Tensor };
  },
};

export function registerConv2DBatchNormGrad(): void {
  tf.registerGradient(conv2dBatchNormGradConfig);
}
