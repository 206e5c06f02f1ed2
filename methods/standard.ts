/**
 * @module `standard`: fine-tune every layer on clean cross-entropy. The baseline robustness is lost
 * against: it usually gains clean accuracy and forgets the source's robustness.
 */
import { z } from 'zod';
import { crossEntropy } from '../harness/foundation/nn/losses.ts';
import { defineMethod } from './define.ts';
import { sgdConfig } from './common/sgd-config.ts';
import { fineTuneWith } from './common/fine-tune.ts';

export default defineMethod({
  id: 'standard',
  title: 'Standard fine-tuning',
  description: 'All layers fine-tuned with clean cross-entropy (SGD, momentum). No robustness objective.',
  config: z.strictObject(sgdConfig),
  fineTune: (ctx) =>
    fineTuneWith(ctx, {
      loss: (model, { x, y }) => crossEntropy(model.forward(x), y),
    }),
});
