/**
 * @module Multiply-adds per image of a zoo model at its input size, counted from one traced forward pass of
 * the real model (batch 1): each Conv2d's output shape times its kernel volume, each Linear's in x out. Used to
 * carry a throughput measured on one model over to another (estimate.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from '../../foundation/nn/conv.ts';
import { setConvBatchNormFusion } from '../../foundation/nn/conv-batch-norm.ts';
import { Linear } from '../../foundation/nn/linear.ts';
import type { ModelSpec } from '../../foundation/models/classifier.ts';
import { buildModel } from '../../foundation/models/zoo.ts';

export interface ModelMacs {
  /** Multiply-adds of one forward pass of one image. */
  readonly macs: number;
  /** Conv2d and Linear modules. */
  readonly modules: number;
}

const cache = new Map<string, ModelMacs>();

export function modelMacs(spec: ModelSpec): ModelMacs {
  const key = JSON.stringify([spec.arch, spec.width ?? null, spec.inputShape, spec.numClasses]);
  const hit = cache.get(key);
  if (hit) return hit;
  const model = buildModel(spec, 0);
  let macs = 0;
  let modules = 0;
  // The fused conv + BatchNorm kernel never calls a Conv2d's forward, which the count hooks.
  const fusion = setConvBatchNormFusion(false);
  try {
    model.eval();
    for (const [, m] of model.namedModules()) {
      if (m instanceof Conv2d) {
        modules++;
        const k = m.kernelSize * m.kernelSize * m.inChannels;
        m.forward = (x: tf.Tensor) => {
          const y = Conv2d.prototype.forward.call(m, x);
          macs += (y.size / y.shape[0]) * k;
          return y;
        };
      } else if (m instanceof Linear) {
        modules++;
        m.forward = (x: tf.Tensor) => {
          macs += m.inFeatures * m.outFeatures;
          return Linear.prototype.forward.call(m, x);
        };
      }
    }
    tf.tidy(() => {
      model.forward(tf.zeros([1, ...spec.inputShape]));
    });
  } finally {
    setConvBatchNormFusion(fusion);
    model.dispose();
  }
  const out = { macs, modules };
  cache.set(key, out);
  return out;
}
