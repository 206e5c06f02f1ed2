/**
 * @module CIFAR-style ResNets with kuangliu/pytorch-cifar's names (the ones RiFT uses): `conv1, bn1,
 * layerN.i.conv1/bn1/conv2/bn2, layerN.i.shortcut.0 (1x1 conv) / shortcut.1 (bn), linear`; a 3x3
 * stride-1 stem without max-pool, global average pooling (avg_pool2d(4) at 32 px). Also the small
 * CPU-tier variant with the same naming.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { AdaptiveAvgPool, BatchNorm2d, Conv2d, Linear, Normalize, Sequential } from '../nn/layers.ts';
import { convBatchNorm, shortcutOf } from '../nn/conv-batch-norm.ts';
import { Module } from '../nn/module.ts';
import { Classifier, type ModelSpec } from './classifier.ts';
import { seedStream } from './seeds.ts';
import { buildStages, stageBlockNames, widthScalable } from './stages.ts';

export { seedStream } from './seeds.ts';

export class BasicBlock extends Module {
  static readonly expansion = 1;

  constructor(inPlanes: number, planes: number, stride: number, nextSeed: () => number) {
    super();
    this.registerModule(
      'conv1',
      new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, seed: nextSeed() }),
    );
    this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule(
      'conv2',
      new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }),
    );
    this.registerModule('bn2', new BatchNorm2d(planes));
    // An identity shortcut is an empty Sequential, as in the reference: no keys.
    const shortcut =
      stride !== 1 || inPlanes !== planes
        ? new Sequential(
            new Conv2d(inPlanes, planes, 1, { stride, bias: false, seed: nextSeed() }),
            new BatchNorm2d(planes),
          )
        : new Sequential();
    this.registerModule('shortcut', shortcut);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const c = (name: string) => this.child(name)!;
    const out = convBatchNorm(c('conv1'), c('bn1'), x, true);
    return convBatchNorm(c('conv2'), c('bn2'), out, true, shortcutOf(c('shortcut'), x));
  }
}

export interface CifarResNetConfig {
  /** Stage widths; the stem has widths[0] channels. */
  readonly widths: readonly number[];
  /** Basic blocks per stage. */
  readonly blocks: readonly number[];
}

export class CifarResNet extends Classifier {
  readonly headName = 'linear';
  private readonly layerSizes: readonly number[];

  constructor(spec: ModelSpec, seed: number, { widths, blocks }: CifarResNetConfig) {
    super(spec);
    const nextSeed = seedStream(seed);
    this.layerSizes = blocks;
    this.registerModule('normalize', new Normalize(spec.mean, spec.std));
    this.registerModule(
      'conv1',
      new Conv2d(spec.inputShape[2], widths[0], 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }),
    );
    this.registerModule('bn1', new BatchNorm2d(widths[0]));
    const { stages, outPlanes } = buildStages(
      widths[0],
      widths,
      blocks,
      (i, p, s) => new BasicBlock(i, p, s, nextSeed),
    );
    stages.forEach((stage, li) => this.registerModule(`layer${li + 1}`, stage));
    this.registerModule('pool', new AdaptiveAvgPool());
    this.registerModule('linear', new Linear(outPlanes, spec.numClasses, { seed: nextSeed() }));
  }

  features(x: tf.Tensor4D): tf.Tensor2D {
    const c = (name: string) => this.child(name)!;
    let out = convBatchNorm(c('conv1'), c('bn1'), c('normalize').forward(x), true);
    for (let li = 1; li <= this.layerSizes.length; li++) out = c(`layer${li}`).forward(out);
    return c('pool').forward(out) as tf.Tensor2D;
  }

  /** [conv1, bn1], layer1.0 … layerK.last, [linear]: 10 blocks for ResNet-18, 18 for ResNet-34. */
  blocks(): string[][] {
    return [['conv1', 'bn1'], ...stageBlockNames(this.layerSizes), ['linear']];
  }
}

export const resnet18 = widthScalable(
  [64, 128, 256, 512],
  (spec, seed, widths) => new CifarResNet(spec, seed, { widths, blocks: [2, 2, 2, 2] }),
);
export const resnet34 = widthScalable(
  [64, 128, 256, 512],
  (spec, seed, widths) => new CifarResNet(spec, seed, { widths, blocks: [3, 4, 6, 3] }),
);

/**
 * CPU tiers: a 16-channel stem and three stages of one basic block (16/32/64 channels): 78k
 * parameters (10 classes) and about 9.4 M multiply-adds per 28x28 image (12.2 M at 32x32).
 */
export const smallResnet = widthScalable(
  [16, 32, 64],
  (spec, seed, widths) => new CifarResNet(spec, seed, { widths, blocks: [1, 1, 1] }),
);
