/**
 * @module `linear-probe`: the backbone stays frozen (eval-mode BatchNorm included) and only a new
 * classifier head is trained on clean cross-entropy. Keeps the source's features exactly.
 */
import { z } from 'zod';
import { crossEntropy } from '../harness/foundation/nn/losses.ts';
import { defineMethod } from './define.ts';
import { sgdConfig } from './common/sgd-config.ts';
import { fineTuneWith } from './common/fine-tune.ts';
import { trainModeOnly, trainOnly } from './common/freeze.ts';

export default defineMethod({
  id: 'linear-probe',
  title: 'Linear probing',
  description:
    'Only a fresh classifier head is trained (clean cross-entropy); the backbone and its BatchNorm statistics are frozen.',
  config: z.strictObject(sgdConfig),
  fineTune: async (ctx) => {
    const head = [ctx.model.headName];
    trainOnly(ctx.model, head);
    return fineTuneWith(ctx, {
      setTrainMode: (model) => trainModeOnly(model, head),
      loss: (model, { x, y }) => crossEntropy(model.forward(x), y),
    });
  },
});
