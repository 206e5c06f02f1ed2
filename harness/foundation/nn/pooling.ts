/** @module Pooling and flattening on NHWC tensors with PyTorch's semantics (floor rounding). */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';

const padSpatial = (x: tf.Tensor, p: number, value: number) =>
  tf.pad(
    x as tf.Tensor4D,
    [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ],
    value,
  );

/** Spatial pooling with PyTorch's (kernel, stride = kernel, padding) and floor rounding. */
abstract class Pool2d extends Module {
  /** The value padding takes, chosen so it never changes the pooled result the PyTorch way. */
  protected abstract readonly padValue: number;
  protected abstract pool(x: tf.Tensor4D): tf.Tensor4D;
  constructor(
    readonly kernel: number,
    readonly stride = kernel,
    readonly padding = 0,
  ) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor4D {
    return this.pool((this.padding ? padSpatial(x, this.padding, this.padValue) : x) as tf.Tensor4D);
  }
}

/** nn.MaxPool2d: padding never wins the max (padded with -inf). */
export class MaxPool2d extends Pool2d {
  protected readonly padValue = -Infinity;
  protected pool(x: tf.Tensor4D): tf.Tensor4D {
    return tf.maxPool(x, this.kernel, this.stride, 'valid');
  }
}

/** nn.AvgPool2d with count_include_pad = true (zeros count). */
export class AvgPool2d extends Pool2d {
  protected readonly padValue = 0;
  protected pool(x: tf.Tensor4D): tf.Tensor4D {
    return tf.avgPool(x, this.kernel, this.stride, 'valid');
  }
}

/** Global average pooling to [N, C]: nn.AdaptiveAvgPool2d(1) followed by flatten. */
export class AdaptiveAvgPool extends Module {
  forward(x: tf.Tensor): tf.Tensor2D {
    return tf.mean(x, [1, 2]) as tf.Tensor2D;
  }
}

/**
 * nn.Flatten: [N, ...] → [N, -1]. A 4-D input is flattened in PyTorch's channel-major (C, H, W) order,
 * so a Linear after it takes a PyTorch checkpoint's weight as is.
 */
export class Flatten extends Module {
  forward(x: tf.Tensor): tf.Tensor2D {
    const chw = x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x;
    return tf.reshape(chw, [x.shape[0], -1]) as tf.Tensor2D;
  }
}
