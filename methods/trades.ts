/**
 * @module `trades` (Zhang et al., "Theoretically Principled Trade-off between Robustness and Accuracy",
 * ICML 2019): CE(f(x), y) + beta * KL(f(x) || f(x')) averaged over the batch, where x' maximises that KL
 * within the threat model (PGD on the KL from x + 0.001 N(0,1), model in eval mode).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { projectToBall } from '../attacks/pgd.ts';
import type { Classifier } from '../harness/models/classifier.ts';
import { crossEntropy, klDivergence } from '../harness/nn/losses.ts';
import type { TrainAttackOptions } from './define.ts';
import { defineMethod } from './define.ts';
import { sgdConfig } from './common/sgd-config.ts';
import { fineTuneWith } from './common/fine-tune.ts';

/** TRADES' inner maximisation: sign-gradient ascent on KL(f(x) || f(x')) (Linf) or normalised steps (L2). */
export function tradesAdversary(model: Classifier, x: tf.Tensor4D, attack: TrainAttackOptions, seed: number): tf.Tensor4D {
  const wasTraining = model.training;
  model.eval();
  try {
    const clean = tf.tidy(() => model.forward(x));
    let xAdv = tf.tidy(() => tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed), 0.001)) as tf.Tensor4D);
    for (let s = 0; s < attack.steps; s++) {
      const next = tf.tidy(() => {
        const g = tf.grad((z: tf.Tensor) => klDivergence(model.forward(z as tf.Tensor4D), clean, 'sum') as tf.Scalar)(xAdv) as tf.Tensor4D;
        const dir = attack.norm === 'Linf' ? tf.sign(g) : tf.div(g, tf.add(tf.norm(g, 'euclidean', [1, 2, 3], true), 1e-12));
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

export default defineMethod({
  id: 'trades',
  title: 'TRADES fine-tuning',
  paper: { title: 'Theoretically Principled Trade-off between Robustness and Accuracy', url: 'https://arxiv.org/abs/1901.08573', venue: 'ICML 2019' },
  description: "All layers fine-tuned with CE(f(x), y) + beta * KL(f(x) || f(x')); x' maximises the KL with the protocol's attack budget.",
  config: z.strictObject({ ...sgdConfig, beta: z.number().min(0).default(6).describe('weight of the robust KL term') }),
  fineTune: (ctx) => {
    const seeds = ctx.rng.fork('trades');
    return fineTuneWith(ctx, {
      prepare: (model, { x }) => ({ xAdv: tradesAdversary(model, x, ctx.trainAttack, seeds.nextSeed()) }),
      loss: (model, { x, y }, { xAdv }) => {
        const logits = model.forward(x);
        const robust = tf.mean(klDivergence(model.forward(xAdv), logits, 'none'));
        return tf.add(crossEntropy(logits, y), tf.mul(ctx.config.beta, robust)) as tf.Scalar;
      },
    });
  },
});
