/**
 * @module PreAct ResNet-18 as used across the adversarial-training literature (Rice et al., Wong et al.):
 * `conv1, layerN.i.bn1/conv1/bn2/conv2/shortcut.0, bn, linear`; the shortcut starts from the
 * pre-activated input.
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as ops from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, GlobalAvgPool, Linear, Normalize, Sequential } from '../nn/layers.ts';
import { Module } from '../nn/module.ts';
import { Classifier, type ModelSpec } from './classifier.ts';
import { buildStages, stageBlockNames } from './stages.ts';
import { seedStream } from './resnet-cifar.ts';

class PreActBlock extends Module {
  constructor(inPlanes: number, planes: number, stride: number, nextSeed: () => number) {
    super();
    this.registerModule('bn1', new BatchNorm2d(inPlanes));
    this.registerModule('conv1', new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, seed: nextSeed() }));
    this.registerModule('bn2', new BatchNorm2d(planes));
    this.registerModule('conv2', new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }));
    if (stride !== 1 || inPlanes !== planes) this.registerModule('shortcut', new Sequential(new Conv2d(inPlanes, planes, 1, { stride, bias: false, seed: nextSeed() })));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const c = (name: string) => this.child(name)!;
    const pre = ops.relu(c('bn1').forward(x));
    const shortcut = this.child('shortcut') ? c('shortcut').forward(pre) : x;
    const out = c('conv2').forward(ops.relu(c('bn2').forward(c('conv1').forward(pre))));
    return ops.add(out, shortcut);
  }
}

export class PreActResNet extends Classifier {
  readonly headName = 'linear';
  private readonly layerSizes: number[];

  constructor(spec: ModelSpec, seed: number, blocks: number[]) {
    super(spec);
    this.layerSizes = blocks;
    const nextSeed = seedStream(seed);
    this.registerModule('normalize', new Normalize(spec.mean, spec.std));
    this.registerModule('conv1', new Conv2d(spec.inputShape[2], 64, 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }));
    const { stages } = buildStages(64, [64, 128, 256, 512], blocks, (i, p, s) => new PreActBlock(i, p, s, nextSeed));
    stages.forEach((stage, li) => this.registerModule(`layer${li + 1}`, stage));
    this.registerModule('bn', new BatchNorm2d(512));
    this.registerModule('pool', new GlobalAvgPool());
    this.registerModule('linear', new Linear(512, spec.numClasses, { seed: nextSeed() }));
  }

  features(x: tf.Tensor4D): tf.Tensor2D {
    const c = (name: string) => this.child(name)!;
    let out = c('conv1').forward(c('normalize').forward(x));
    for (let li = 1; li <= this.layerSizes.length; li++) out = c(`layer${li}`).forward(out);
    return c('pool').forward(ops.relu(c('bn').forward(out))) as tf.Tensor2D;
  }

  blocks(): string[][] {
    const [first, ...rest] = stageBlockNames(this.layerSizes);
    return [['conv1', ...first], ...rest, ['bn'], ['linear']];
  }
}

export const preactResnet18 = (spec: ModelSpec, seed: number) => new PreActResNet(spec, seed, [2, 2, 2, 2]);
