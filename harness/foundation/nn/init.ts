/**
 * @module Seeded parameter initialisation. PyTorch's default for Conv2d and Linear is
 * kaiming_uniform(a = sqrt(5)) on the weight and U(±1/sqrt(fan_in)) on the bias, and both work out
 * to the same bound, 1/sqrt(fan_in).
 */
import * as tf from '@tensorflow/tfjs-core';

/** U(-1/sqrt(fanIn), 1/sqrt(fanIn)), deterministic for a given seed. */
export function uniformInit(shape: number[], fanIn: number, seed: number): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.randomUniform(shape, -bound, bound, 'float32', seed);
}
