/**
 * @module `twins-at`: TWINS with adversarial training. Loss = lambda * CE(f_frozen(x'_a), y_a) +
 * CE(f_adaptive(x'_b), y_b), x' the protocol's PGD examples (eval mode, adaptive wing), a and b the two
 * halves of the batch.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { crossEntropy } from '../../harness/foundation/nn/losses.ts';
import { defineMethod } from '../define.ts';
import { TWINS_PAPER } from './paper.ts';
import { rows, twinsConfig, twinsFineTune } from './twins-fine-tune.ts';

export default defineMethod({
  id: 'twins-at',
  title: 'TWINS (two-wing normalisation) + AT',
  paper: TWINS_PAPER,
  description:
    'Every BatchNorm gets a frozen wing (pre-training statistics, trainable affine) and an adaptive wing over shared weights; half of each batch trains through each wing on PGD examples. Evaluated through the adaptive wing.',
  config: z.strictObject(twinsConfig),
  fineTune: (ctx) =>
    twinsFineTune(ctx, {
      prepare: (model, { x, y }) => ({ xAdv: ctx.adversarial(model, x, y) }),
      halfLoss: (model, _wing, start, size, { y }, { xAdv }) =>
        crossEntropy(model.forward(rows(xAdv as tf.Tensor4D, start, size)), rows(y, start, size)),
    }),
});
