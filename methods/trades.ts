/**
 * @module `trades` (Zhang et al., "Theoretically Principled Trade-off between Robustness and Accuracy",
 * ICML 2019): CE(f(x), y) + beta * KL(f(x) || f(x')) averaged over the batch, where x' maximises that KL
 * within the threat model (PGD on the KL from x + 0.001 N(0,1), model in eval mode).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { tradesAdversary } from '../harness/orchestration/train/trades-adversary.ts';
import { crossEntropy, klDivergence } from '../harness/foundation/nn/losses.ts';
import { defineMethod } from './define.ts';
import { sgdConfig } from './common/sgd-config.ts';
import { fineTuneWith } from './common/fine-tune.ts';

export { tradesAdversary } from '../harness/orchestration/train/trades-adversary.ts';

export default defineMethod({
  id: 'trades',
  title: 'TRADES fine-tuning',
  paper: {
    title: 'Theoretically Principled Trade-off between Robustness and Accuracy',
    url: 'https://arxiv.org/abs/1901.08573',
    venue: 'ICML 2019',
  },
  description:
    "All layers fine-tuned with CE(f(x), y) + beta * KL(f(x) || f(x')); x' maximises the KL with the protocol's attack budget.",
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
