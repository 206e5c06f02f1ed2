/**
 * @module TRADES' inner maximisation (Zhang et al., ICML 2019), shared by the `trades` and `twins-trades`
 * entries and the TRADES source recipe: from x + 0.001 N(0,1), ascend KL(f(x) || f(x')) by sign steps
 * (Linf) or normalised steps (L2), projecting onto the threat model and [0,1], model in eval mode.
 */
import * as tf from '@tensorflow/tfjs-core';
import { projectToBall } from '../../../attacks/pgd.ts';
import type { Norm } from '../../../attacks/types.ts';
import type { Module } from '../../foundation/nn/module.ts';
import { klDivergence } from '../../foundation/nn/losses.ts';

export interface KlAttackOptions {
  readonly steps: number;
  readonly stepSize: number;
  readonly eps: number;
  readonly norm: Norm;
}

export function tradesAdversary(model: Module, x: tf.Tensor4D, attack: KlAttackOptions, seed: number): tf.Tensor4D {
  const wasTraining = model.training;
  model.eval();
  try {
    const clean = tf.tidy(() => model.forward(x) as tf.Tensor2D);
    let xAdv = tf.tidy(() => tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed), 0.001)) as tf.Tensor4D);
    for (let s = 0; s < attack.steps; s++) {
      const next = tf.tidy(() => {
        const g = tf.grad(
          (z: tf.Tensor) => klDivergence(model.forward(z as tf.Tensor4D) as tf.Tensor2D, clean, 'sum') as tf.Scalar,
        )(xAdv) as tf.Tensor4D;
        const dir =
          attack.norm === 'Linf' ? tf.sign(g) : tf.div(g, tf.add(tf.norm(g, 'euclidean', [1, 2, 3], true), 1e-12));
        return projectToBall(x, tf.add(xAdv, tf.mul(dir, attack.stepSize)) as tf.Tensor4D, attack.norm, attack.eps);
      });
      xAdv.dispose();
      xAdv = next;
    }
    clean.dispose();
    return xAdv;
  } finally {
    model.train(wasTraining);
  }
}
