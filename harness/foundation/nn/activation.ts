/** @module Parameter-free activations as modules, so replace() can swap them and names match PyTorch's. */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';

export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}

export class LeakyReLU extends Module {
  /** @param slope PyTorch's negative_slope. */
  constructor(readonly slope = 0.01) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.leakyRelu(x, this.slope);
  }
}

export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}
