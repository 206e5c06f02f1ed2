/**
 * @module PreAct ResNet-18 as the adversarial-training literature uses it (Rice et al.'s
 * robust_overfitting, Wong et al.'s fast AT; RobustBench's `PreActResNet(..., bn_before_fc=True)` with
 * `PreActBlockV2`): `conv1, layerN.i.bn1/conv1/bn2/conv2, layerN.i.shortcut.0 (1x1 conv), bn, linear`.
 * A projection shortcut starts from the pre-activated input; `bn` + ReLU precede the pooling.
 * Without `bn` (kuangliu's version, RobustBench's default) pass `{ bnBeforeFc: false }`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as ops from '@tensorflow/tfjs-core';
import { AdaptiveAvgPool, BatchNorm2d, Conv2d, Linear, Normalize, Sequential } from '../nn/layers.ts';
import { Module } from '../nn/module.ts';
import { Classifier, type ModelSpec } from './classifier.ts';
import { seedStream } from './seeds.ts';
import { buildStages, stageBlockNames } from './stages.ts';

class PreActBlock extends Module {
  constructor(inPlanes: number, planes: number, stride: number, nextSeed: () => number) {
    super();
    this.registerModule('bn1', new BatchNorm2d(inPlanes));
    this.registerModule(
      'conv1',
      new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, seed: nextSeed() }),
    );
    this.registerModule('bn2', new BatchNorm2d(planes));
    this.registerModule(
      'conv2',
      new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }),
    );
    if (stride !== 1 || inPlanes !== planes) {
      this.registerModule(
        'shortcut',
        new Sequential(new Conv2d(inPlanes, planes, 1, { stride, bias: false, seed: nextSeed() })),
      );
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    const c = (name: string) => this.child(name)!;
    const pre = ops.relu(c('bn1').forward(x));
    const shortcut = this.child('shortcut') ? c('shortcut').forward(pre) : x;
    const out = c('conv2').forward(ops.relu(c('bn2').forward(c('conv1').forward(pre))));
    return ops.add(out, shortcut);
  }
}

export interface PreActOptions {
  /** The final BatchNorm + ReLU before pooling (`bn`). @default true */
  readonly bnBeforeFc?: boolean;
}

export class PreActResNet extends Classifier {
  readonly headName = 'linear';
  private readonly layerSizes: readonly number[];
  private readonly bnBeforeFc: boolean;

  constructor(spec: ModelSpec, seed: number, blocks: readonly number[], { bnBeforeFc = true }: PreActOptions = {}) {
    super(spec);
    this.layerSizes = blocks;
    this.bnBeforeFc = bnBeforeFc;
    const nextSeed = seedStream(seed);
    this.registerModule('normalize', new Normalize(spec.mean, spec.std));
    this.registerModule(
      'conv1',
      new Conv2d(spec.inputShape[2], 64, 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }),
    );
    const { stages, outPlanes } = buildStages(
      64,
      [64, 128, 256, 512],
      blocks,
      (i, p, s) => new PreActBlock(i, p, s, nextSeed),
    );
    stages.forEach((stage, li) => this.registerModule(`layer${li + 1}`, stage));
    if (bnBeforeFc) this.registerModule('bn', new BatchNorm2d(outPlanes));
    this.registerModule('pool', new AdaptiveAvgPool());
    this.registerModule('linear', new Linear(outPlanes, spec.numClasses, { seed: nextSeed() }));
  }

  features(x: tf.Tensor4D): tf.Tensor2D {
    const c = (name: string) => this.child(name)!;
    let out = c('conv1').forward(c('normalize').forward(x));
    for (let li = 1; li <= this.layerSizes.length; li++) out = c(`layer${li}`).forward(out);
    if (this.bnBeforeFc) out = ops.relu(c('bn').forward(out));
    return c('pool').forward(out) as tf.Tensor2D;
  }

  /** [conv1, layer1.0], layer1.1 … layer4.1, [bn], [linear] (no [bn] without it): 10 blocks. */
  blocks(): string[][] {
    const [first, ...rest] = stageBlockNames(this.layerSizes);
    return [['conv1', ...first], ...rest, ...(this.bnBeforeFc ? [['bn']] : []), ['linear']];
  }
}

export const preactResnet18 = (spec: ModelSpec, seed: number, options?: PreActOptions) =>
  new PreActResNet(spec, seed, [2, 2, 2, 2], options);
