/**
 * @module Conv2d: NHWC input, HWIO weight, PyTorch's symmetric zero padding and output size
 * floor((H + 2p - k) / s) + 1. PyTorch keeps the weight OIHW: see `torchLayout`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { uniformInit } from './init.ts';
import type { TorchLayoutTable } from './layout.ts';
import { Module } from './module.ts';

export interface Conv2dOptions {
  /** @default 1 */
  readonly stride?: number;
  /** Zero padding on every side, as PyTorch's integer `padding`. @default 0 */
  readonly padding?: number;
  /** @default true */
  readonly bias?: boolean;
  /** Init seed: the same seed gives the same weights. @default 0 */
  readonly seed?: number;
}

export class Conv2d extends Module {
  static readonly torchLayout: TorchLayoutTable = { weight: 'conv' };
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    { stride = 1, padding = 0, bias = true, seed = 0 }: Conv2dOptions = {},
  ) {
    super();
    this.stride = stride;
    this.padding = padding;
    const fanIn = inChannels * kernelSize * kernelSize;
    this.weight = this.registerParameter(
      'weight',
      uniformInit([kernelSize, kernelSize, inChannels, outChannels], fanIn, seed),
    );
    if (bias) this.bias = this.registerParameter('bias', uniformInit([outChannels], fanIn, seed + 1));
  }

  forward(x: tf.Tensor): tf.Tensor4D {
    return conv2dOp(
      x as tf.Tensor4D,
      this.weight as tf.Tensor4D,
      this.stride,
      this.padding,
      this.bias as tf.Tensor1D | undefined,
    );
  }
}

/** The convolution itself; the weight may be a derived tensor (spectral norm reparameterisation). */
export function conv2dOp(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  padding: number,
  bias?: tf.Tensor1D,
): tf.Tensor4D {
  // tfjs's numeric pad is symmetric explicit padding with floor rounding, which is PyTorch's rule.
  const y = tf.conv2d(x, w, stride, padding === 0 ? 'valid' : padding);
  return bias ? tf.add(y, bias) : y;
}

/** PyTorch's output size for one spatial dimension. */
export function convOutputSize(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}
