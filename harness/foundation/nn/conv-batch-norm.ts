/**
 * @module conv → eval-mode BatchNorm (→ + residual) (→ ReLU), as the ResNets compose them. Where the modules
 * are the plain ones, on wasm with the native kernels, they run as one native kernel that gives the same bits
 * in one pass over the output (tensor/kernels/conv2d-batch-norm.ts), with or without a tape: its gradient is
 * the separate kernels' chain (tensor/gradients/conv2d-batch-norm-grad.ts). In training mode the convolution
 * runs alone and the BatchNorm's kernels take the residual and ReLU (BatchNorm2d.forwardWith). Otherwise, and
 * always for layers a method swapped (TWINS' two-wing BatchNorm, CARTL's spectral norm), the modules' own
 * forwards run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CONV2D_BATCH_NORM, type Conv2DBatchNormAttrs } from '../tensor/kernels/fused-kernel-names.ts';
import { nativeKernels } from '../tensor/native/native-kernels.ts';
import { ReLU } from './activation.ts';
import { BatchNorm2d } from './batchnorm.ts';
import { Conv2d } from './conv.ts';
import type { Module } from './module.ts';

let fusion = process.env.RFTBENCH_FUSE !== '0';

/**
 * Turns the fused path on or off for this process (tests and benches compare both; RFTBENCH_FUSE=0 at start);
 * returns the previous setting.
 */
export function setConvBatchNormFusion(on: boolean): boolean {
  const previous = fusion;
  fusion = on;
  return previous;
}

function fusable(conv: Module, bn: Module, x: tf.Tensor): boolean {
  return (
    fusion &&
    // Exactly these classes: a subclass or a swapped layer may compute something else.
    Object.getPrototypeOf(conv) === Conv2d.prototype &&
    !(conv as Conv2d).bias &&
    Object.getPrototypeOf(bn) === BatchNorm2d.prototype &&
    !bn.training &&
    x.rank === 4 &&
    x.dtype === 'float32' &&
    tf.getBackend() === 'wasm' &&
    nativeKernels() !== undefined &&
    tf.getKernel(CONV2D_BATCH_NORM, 'wasm') !== undefined
  );
}

/** The output shape of `conv` on x when it is a plain Conv2d, to check a residual against. */
function outputShape(conv: Conv2d, x: tf.Tensor): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    conv.weight.shape as [number, number, number, number],
    conv.stride,
    1,
    conv.padding === 0 ? 'valid' : conv.padding,
  );
  return info.outShape;
}

/**
 * relu(bn(conv(x)) + residual): `relu` true for tf.relu, a ReLU module, or false/undefined for none; `residual`
 * (a ResNet block's shortcut) added before the ReLU when given.
 */
export function convBatchNorm(
  conv: Module,
  bn: Module,
  x: tf.Tensor,
  relu: boolean | Module = false,
  residual?: tf.Tensor,
): tf.Tensor {
  const plainRelu = relu === true || (typeof relu === 'object' && Object.getPrototypeOf(relu) === ReLU.prototype);
  const fuse =
    fusable(conv, bn, x) &&
    (relu === false || plainRelu) &&
    (!residual || (residual.dtype === 'float32' && residual.shape.join() === outputShape(conv as Conv2d, x).join()));
  if (fuse) {
    const c = conv as Conv2d;
    const b = bn as BatchNorm2d;
    const attrs: Conv2DBatchNormAttrs = {
      strides: c.stride,
      pad: c.padding === 0 ? 'valid' : c.padding,
      dataFormat: 'NHWC',
      dilations: 1,
      varianceEpsilon: b.eps,
      relu: plainRelu,
    };
    const inputs = {
      x,
      filter: c.weight,
      mean: b.runningMean,
      variance: b.runningVar,
      offset: b.bias,
      scale: b.weight,
      ...(residual ? { residual } : {}),
    };
    return tf.engine().runKernel(CONV2D_BATCH_NORM, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  const z = conv.forward(x);
  // A training-mode BatchNorm takes the epilogue into its own kernels (nn/batchnorm.ts), same bits.
  if (fusion && (relu === false || plainRelu) && Object.getPrototypeOf(bn) === BatchNorm2d.prototype && bn.training)
    return (bn as BatchNorm2d).forwardWith(z, { relu: plainRelu, residual });
  const normalised = bn.forward(z);
  const y = residual ? tf.add(normalised, residual) : normalised;
  if (relu === true) return tf.relu(y);
  return typeof relu === 'object' ? relu.forward(y) : y;
}

/** A ResNet shortcut: empty (identity), or conv → BatchNorm as one convBatchNorm when it is exactly those two. */
export function shortcutOf(shortcut: Module, x: tf.Tensor): tf.Tensor {
  const conv = shortcut.child('0');
  const bn = shortcut.child('1');
  if (conv && bn && !shortcut.child('2')) return convBatchNorm(conv, bn, x);
  return shortcut.forward(x);
}
