/**
 * @module Normalize: per-channel (x - mean) / std as a model's first module, so inputs and every attack
 * epsilon live in [0,1] pixel space. Constants, not buffers: torchvision and RobustBench checkpoints
 * carry no such keys, so state dicts stay PyTorch-compatible.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';

export class Normalize extends Module {
  private readonly scale: number[];
  private readonly shift: number[];

  constructor(
    readonly mean: readonly number[],
    readonly std: readonly number[],
  ) {
    super();
    if (mean.length !== std.length) throw new Error(`Normalize: ${mean.length} means but ${std.length} stds`);
    if (std.some((s) => !(s > 0))) throw new Error(`Normalize: std must be positive, got [${std.join(', ')}]`);
    this.scale = std.map((s) => 1 / s);
    this.shift = mean.map((m, i) => -m / std[i]);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const c = x.shape[x.rank - 1];
    if (c !== this.scale.length) throw new Error(`Normalize: input has ${c} channels, expected ${this.scale.length}`);
    // x * (1/std) + (-mean/std): one multiply-add, the constants freed with the tidy.
    return tf.tidy(() => tf.add(tf.mul(x, tf.tensor1d(this.scale)), tf.tensor1d(this.shift)));
  }
}
