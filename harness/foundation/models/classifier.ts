/**
 * @module The classifier contract every zoo model fulfils: normalisation inside the model (inputs are
 * [0,1] pixels, NHWC), a named head, penultimate features, and the ordered block split that partial
 * fine-tuning, CARTL and RiFT use, defined once per architecture beside the model.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';

export interface ModelSpec {
  /** Zoo id: `resnet18`, `resnet34`, `resnet50`, `preact-resnet18`, `wrn-28-10`, `wrn-34-10`, `small-resnet`, … */
  readonly arch: string;
  readonly numClasses: number;
  /** [height, width, channels] */
  readonly inputShape: readonly [number, number, number];
  /** Per-channel normalisation applied as the model's first module. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /**
   * Channels of the stem, scaling every stage with it (ResNet-18/34/50: w → stages [w, 2w, 4w, 8w]).
   * Absent means the architecture's default (64 for ResNet-18/34/50); only width-scalable archs take it.
   */
  readonly width?: number;
}

export abstract class Classifier extends Module {
  constructor(readonly spec: ModelSpec) {
    super();
  }

  /** Child name of the final Linear layer (`linear`, `fc`): its keys are dropped when a head is re-made. */
  abstract readonly headName: string;

  /** Penultimate representation [N, D] (after the last pooling, before the head). */
  abstract features(x: tf.Tensor4D): tf.Tensor2D;

  /**
   * Module-name prefixes of the network's blocks in forward order, ending with the head, e.g. for
   * CIFAR ResNet-18: conv1+bn1 stem, layer1.0 … layer4.1, linear. A parameter belongs to the block
   * whose prefix it starts with (`${prefix}.`); the stem may list several prefixes.
   */
  abstract blocks(): readonly (readonly string[])[];

  forward(x: tf.Tensor): tf.Tensor2D {
    return this.head().forward(this.features(x as tf.Tensor4D)) as tf.Tensor2D;
  }

  head(): Module {
    const h = this.child(this.headName);
    if (!h) throw new Error(`${this.spec.arch}: head "${this.headName}" is missing`);
    return h;
  }
}
