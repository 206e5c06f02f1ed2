/**
 * @module WideResNet-depth-k as RobustBench's `WideResNet` (from TRADES), which RobustBench's WRN-34-10
 * entries load: `conv1, block{1,2,3}.layer.i.{bn1, relu1, conv1, bn2, relu2, conv2, convShortcut},
 * bn1, relu, fc`, (depth - 4) / 6 pre-activation units per group, widths 16, 16k, 32k, 64k.
 * No `sub_block1` (RobustBench's default; the TRADES checkpoint registers one but never runs it).
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as ops from '@tensorflow/tfjs-core';
import { AdaptiveAvgPool, BatchNorm2d, Conv2d, Linear, Normalize, ReLU, Sequential } from '../nn/layers.ts';
import { Module } from '../nn/module.ts';
import { Classifier, type ModelSpec } from './classifier.ts';
import { seedStream } from './seeds.ts';

class WideBasicBlock extends Module {
  private readonly equalInOut: boolean;

  constructor(inPlanes: number, outPlanes: number, stride: number, nextSeed: () => number) {
    super();
    this.equalInOut = inPlanes === outPlanes;
    this.registerModule('bn1', new BatchNorm2d(inPlanes));
    this.registerModule('relu1', new ReLU());
    this.registerModule(
      'conv1',
      new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false, seed: nextSeed() }),
    );
    this.registerModule('bn2', new BatchNorm2d(outPlanes));
    this.registerModule('relu2', new ReLU());
    this.registerModule(
      'conv2',
      new Conv2d(outPlanes, outPlanes, 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }),
    );
    if (!this.equalInOut)
      this.registerModule(
        'convShortcut',
        new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false, seed: nextSeed() }),
      );
  }

  forward(x: tf.Tensor): tf.Tensor {
    const c = (name: string) => this.child(name)!;
    const pre = c('relu1').forward(c('bn1').forward(x));
    const out = c('conv2').forward(c('relu2').forward(c('bn2').forward(c('conv1').forward(pre))));
    // As the reference: a widening unit's shortcut starts from the pre-activated input, an equal one's from x.
    return ops.add(this.equalInOut ? x : c('convShortcut').forward(pre), out);
  }
}

/** RobustBench's NetworkBlock: the units of one group under `layer`. */
class NetworkBlock extends Module {
  constructor(n: number, inPlanes: number, outPlanes: number, stride: number, nextSeed: () => number) {
    super();
    const units = Array.from(
      { length: n },
      (_, i) => new WideBasicBlock(i === 0 ? inPlanes : outPlanes, outPlanes, i === 0 ? stride : 1, nextSeed),
    );
    this.registerModule('layer', new Sequential(...units));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.child('layer')!.forward(x);
  }
}

export class WideResNet extends Classifier {
  readonly headName = 'fc';
  private readonly unitsPerGroup: number;

  constructor(spec: ModelSpec, seed: number, depth: number, widen: number) {
    super(spec);
    if ((depth - 4) % 6 !== 0 || depth < 10) throw new Error(`wide-resnet: depth ${depth} must be 6n + 4 with n >= 1`);
    const n = (depth - 4) / 6;
    this.unitsPerGroup = n;
    const ch = [16, 16 * widen, 32 * widen, 64 * widen];
    const nextSeed = seedStream(seed);
    this.registerModule('normalize', new Normalize(spec.mean, spec.std));
    this.registerModule(
      'conv1',
      new Conv2d(spec.inputShape[2], ch[0], 3, { stride: 1, padding: 1, bias: false, seed: nextSeed() }),
    );
    this.registerModule('block1', new NetworkBlock(n, ch[0], ch[1], 1, nextSeed));
    this.registerModule('block2', new NetworkBlock(n, ch[1], ch[2], 2, nextSeed));
    this.registerModule('block3', new NetworkBlock(n, ch[2], ch[3], 2, nextSeed));
    this.registerModule('bn1', new BatchNorm2d(ch[3]));
    this.registerModule('relu', new ReLU());
    this.registerModule('pool', new AdaptiveAvgPool());
    this.registerModule('fc', new Linear(ch[3], spec.numClasses, { seed: nextSeed() }));
  }

  features(x: tf.Tensor4D): tf.Tensor2D {
    const c = (name: string) => this.child(name)!;
    let out = c('conv1').forward(c('normalize').forward(x));
    for (const b of ['block1', 'block2', 'block3']) out = c(b).forward(out);
    return c('pool').forward(c('relu').forward(c('bn1').forward(out))) as tf.Tensor2D;
  }

  /**
   * CARTL's split: one block per residual unit (the stem conv1 rides with the first), then the final
   * bn1 + relu, then fc: 3n + 2 blocks, 17 for WRN-34-10.
   */
  blocks(): string[][] {
    const units: string[][] = [];
    for (const b of ['block1', 'block2', 'block3'])
      for (let i = 0; i < this.unitsPerGroup; i++) units.push([`${b}.layer.${i}`]);
    units[0] = ['conv1', ...units[0]];
    return [...units, ['bn1'], ['fc']];
  }
}

export const wideResnet = (depth: number, widen: number) => (spec: ModelSpec, seed: number) =>
  new WideResNet(spec, seed, depth, widen);
