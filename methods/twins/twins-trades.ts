/**
 * @module `twins-trades`: TWINS with TRADES. Loss = lambda * CE_frozen(x_a) + CE_adaptive(x_b)
 * + beta * [lambda * KL_frozen(x'_a || x_a) + KL_adaptive(x'_b || x_b)], each KL summed over its half and
 * divided by the half's size; x' = TRADES' KL maximiser, generated in eval mode through the adaptive wing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { crossEntropy, klDivergence } from '../../harness/foundation/nn/losses.ts';
import { tradesAdversary } from '../../harness/orchestration/train/trades-adversary.ts';
import { defineMethod } from '../define.ts';
import { TWINS_PAPER } from './paper.ts';
import { rows, twinsConfig, twinsFineTune } from './twins-fine-tune.ts';

export default defineMethod({
  id: 'twins-trades',
  title: 'TWINS (two-wing normalisation) + TRADES',
  paper: TWINS_PAPER,
  description:
    "TWINS' frozen and adaptive BatchNorm wings, each half of a batch trained with TRADES (clean CE + beta * KL to its adversarial example). Evaluated through the adaptive wing.",
  config: z.strictObject({ ...twinsConfig, beta: z.number().min(0).default(6).describe('weight of the KL terms') }),
  fineTune: (ctx) => {
    const seeds = ctx.rng.fork('twins-trades');
    return twinsFineTune(ctx, {
      prepare: (model, { x }) => ({ xAdv: tradesAdversary(model, x, ctx.trainAttack, seeds.nextSeed()) }),
      // lambda scales the whole frozen half (its CE and its KL), as the paper's loss does.
      halfLoss: (model, _wing, start, size, { x, y }, { xAdv }) => {
        const clean = model.forward(rows(x, start, size));
        const adv = model.forward(rows(xAdv as tf.Tensor4D, start, size));
        const kl = tf.div(klDivergence(adv, clean, 'sum'), size);
        return tf.add(crossEntropy(clean, rows(y, start, size)), tf.mul(ctx.config.beta, kl)) as tf.Scalar;
      },
    });
  },
});
