/**
 * @module ImageNet-style ResNet-50 with torchvision's names: `conv1 (7x7/2, pad 3), bn1, relu,
 * maxpool (3x3/2, pad 1), layerN.i.conv1..3/bn1..3, layerN.0.downsample.0/.1, avgpool, fc`;
 * bottleneck expansion 4, stride on the 3x3 conv2 (v1.5).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { AdaptiveAvgPool, BatchNorm2d, Conv2d, Linear, MaxPool2d, Normalize, ReLU, Sequential } from '../nn/layers.ts';
import { convBatchNorm, shortcutOf } from '../nn/conv-batch-norm.ts';
import { Module } from '../nn/module.ts';
import { Classifier, type ModelSpec } from './classifier.ts';
import { seedStream } from './seeds.ts';
import { buildStages, stageBlockNames, widthScalable } from './stages.ts';

class Bottleneck extends Module {
  static readonly expansion = 4;

  constructor(inPlanes: number, planes: number, stride: number, nextSeed: () => number) {
    super();
    const out = planes * Bottleneck.expansion;
    this.registerModule('conv1', new Conv2d(inPlanes, planes, 1, { bias: false, seed: nextSeed() }));
    this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule('conv2', new Conv2d(planes, planes, 3, { stride, padding: 1, bias: false, seed: nextSeed() }));
    this.registerModule('bn2', new BatchNorm2d(planes));
    this.registerModule('conv3', new Conv2d(planes, out, 1, { bias: false, seed: nextSeed() }));
    this.registerModule('bn3', new BatchNorm2d(out));
    this.registerModule('relu', new ReLU());
    if (stride !== 1 || inPlanes !== out) {
      this.registerModule(
        'downsample',
        new Sequential(new Conv2d(inPlanes, out, 1, { stride, bias: false, seed: nextSeed() }), new BatchNorm2d(out)),
      );
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    const c = (name: string) => this.child(name)!;
    const relu = c('relu');
    let out = convBatchNorm(c('conv1'), c('bn1'), x, relu);
    out = convBatchNorm(c('conv2'), c('bn2'), out, relu);
    const identity = this.child('downsample') ? shortcutOf(c('downsample'), x) : x;
    return convBatchNorm(c('conv3'), c('bn3'), out, relu, identity);
  }
}

export class ImageNetResNet extends Classifier {
  readonly headName = 'fc';
  private readonly layerSizes: readonly number[];

  /** `widths`: the planes of each stage; the stem has widths[0] channels (torchvision: 64). */
  constructor(spec: ModelSpec, seed: number, blocks: readonly number[], widths: readonly number[]) {
    super(spec);
    this.layerSizes = blocks;
    const nextSeed = seedStream(seed);
    this.registerModule('normalize', new Normalize(spec.mean, spec.std));
    this.registerModule(
      'conv1',
      new Conv2d(spec.inputShape[2], widths[0], 7, { stride: 2, padding: 3, bias: false, seed: nextSeed() }),
    );
    this.registerModule('bn1', new BatchNorm2d(widths[0]));
    this.registerModule('relu', new ReLU());
    this.registerModule('maxpool', new MaxPool2d(3, 2, 1));
    const { stages, outPlanes } = buildStages(
      widths[0],
      widths,
      blocks,
      (i, p, s) => new Bottleneck(i, p, s, nextSeed),
      Bottleneck.expansion,
    );
    stages.forEach((stage, li) => this.registerModule(`layer${li + 1}`, stage));
    this.registerModule('avgpool', new AdaptiveAvgPool());
    this.registerModule('fc', new Linear(outPlanes, spec.numClasses, { seed: nextSeed() }));
  }

  features(x: tf.Tensor4D): tf.Tensor2D {
    const c = (name: string) => this.child(name)!;
    let out = convBatchNorm(c('conv1'), c('bn1'), c('normalize').forward(x), c('relu'));
    out = c('maxpool').forward(out);
    for (let li = 1; li <= this.layerSizes.length; li++) out = c(`layer${li}`).forward(out);
    return c('avgpool').forward(out) as tf.Tensor2D;
  }

  /** [conv1, bn1], layer1.0 … layer4.2, [fc]: 18 blocks for ResNet-50. */
  blocks(): string[][] {
    return [['conv1', 'bn1'], ...stageBlockNames(this.layerSizes), ['fc']];
  }
}

export const resnet50 = widthScalable(
  [64, 128, 256, 512],
  (spec, seed, widths) => new ImageNetResNet(spec, seed, [3, 4, 6, 3], widths),
);
