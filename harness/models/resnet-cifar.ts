/**
 * @module CIFAR-style ResNets with kuangliu/pytorch-cifar's names (the ones RiFT uses): `conv1, bn1,
 * layerN.i.conv1/bn1/conv2/bn2, layerN.i.shortcut.0/.1, linear`; a 3x3 stem without max-pool. Also the
 * small CPU-tier variant with the same naming.
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as ops from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, GlobalAvgPool, Linear, Normalize, Sequential } from '../nn/layers.ts';
import { Module } from '../nn/module.ts';
import { Classifier, type ModelSpec } from './classifier.ts';
import { buildStages, stageBlockNames } from './stages.ts';

/** Distinct, reproducible init seeds for each layer of one model. */
export function seedStream(seed: number): () => number {
  let i = 0;
  return () => (seed * 1009 + 17 * ++i) % 2147483647;
}

export class BasicBlock extends Module {
  static readonly expansion = 1;
  constructor(inPlanes: number, planes: number, stride: number, nextSeed: () => number) {
    super();
    this.registerModule('conv1', new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, seed: nextSeed() }));
    this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule('conv2', new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }));
    this.registerModule('bn2', new BatchNorm2d(planes));
    const shortcut =
      stride !== 1 || inPlanes !== planes
        ? new Sequential(new Conv2d(inPlanes, planes, 1, { stride, bias: false, seed: nextSeed() }), new BatchNorm2d(planes))
        : new Sequential();
    this.registerModule('shortcut', shortcut);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const c = (name: string) => this.child(name)!;
    let out = ops.relu(c('bn1').forward(c('conv1').forward(x)));
    out = c('bn2').forward(c('conv2').forward(out));
    return ops.relu(ops.add(out, c('shortcut').forward(x)));
  }
}

export class CifarResNet extends Classifier {
  readonly headName = 'linear';
  private readonly layerSizes: number[];

  constructor(spec: ModelSpec, seed: number, { widths, blocks }: { widths: number[]; blocks: number[] }) {
    super(spec);
    const nextSeed = seedStream(seed);
    this.layerSizes = blocks;
    this.registerModule('normalize', new Normalize(spec.mean, spec.std));
    this.registerModule('conv1', new Conv2d(spec.inputShape[2], widths[0], 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }));
    this.registerModule('bn1', new BatchNorm2d(widths[0]));
    const { stages, outPlanes } = buildStages(widths[0], widths, blocks, (i, p, s) => new BasicBlock(i, p, s, nextSeed));
    stages.forEach((stage, li) => this.registerModule(`layer${li + 1}`, stage));
    this.registerModule('pool', new GlobalAvgPool());
    this.registerModule('linear', new Linear(outPlanes, spec.numClasses, { seed: nextSeed() }));
  }

  features(x: tf.Tensor4D): tf.Tensor2D {
    const c = (name: string) => this.child(name)!;
    let out = ops.relu(c('bn1').forward(c('conv1').forward(c('normalize').forward(x))));
    for (let li = 1; li <= this.layerSizes.length; li++) out = c(`layer${li}`).forward(out);
    return c('pool').forward(out) as tf.Tensor2D;
  }

  blocks(): string[][] {
    return [['conv1', 'bn1'], ...stageBlockNames(this.layerSizes), ['linear']];
  }
}

export const resnet18 = (spec: ModelSpec, seed: number) => new CifarResNet(spec, seed, { widths: [64, 128, 256, 512], blocks: [2, 2, 2, 2] });
export const resnet34 = (spec: ModelSpec, seed: number) => new CifarResNet(spec, seed, { widths: [64, 128, 256, 512], blocks: [3, 4, 6, 3] });
/** CPU tiers: three stages of one block (16/32/64 channels), about 9 M multiply-adds per 28x28 image. */
export const smallResnet = (spec: ModelSpec, seed: number) => new CifarResNet(spec, seed, { widths: [16, 32, 64], blocks: [1, 1, 1] });
