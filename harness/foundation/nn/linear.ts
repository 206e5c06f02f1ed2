/**
 * @module Linear: y = x W + b with W stored [in, out] for matMul; PyTorch keeps [out, in] (see
 * `torchLayout`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { uniformInit } from './init.ts';
import type { TorchLayoutTable } from './layout.ts';
import { Module } from './module.ts';

export interface LinearOptions {
  /** @default true */
  readonly bias?: boolean;
  /** @default 0 */
  readonly seed?: number;
}

export class Linear extends Module {
  static readonly torchLayout: TorchLayoutTable = { weight: 'linear' };
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true, seed = 0 }: LinearOptions = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', uniformInit([inFeatures, outFeatures], inFeatures, seed));
    if (bias) this.bias = this.registerParameter('bias', uniformInit([outFeatures], inFeatures, seed + 1));
  }

  forward(x: tf.Tensor): tf.Tensor2D {
    const y: tf.Tensor2D = tf.matMul(x as tf.Tensor2D, this.weight as tf.Tensor2D);
    return this.bias ? tf.add(y, this.bias) : y;
  }
}
