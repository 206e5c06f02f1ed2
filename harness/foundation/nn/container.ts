/** @module Sequential: children named '0', '1', … as torch.nn.Sequential, applied in order. */
import type * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';

export class Sequential extends Module {
  readonly length: number;

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
    this.length = modules.length;
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    // Look children up by name on every call: replace() may have swapped one.
    for (let i = 0; i < this.length; i++) y = this.child(String(i))!.forward(y);
    return y;
  }
}
