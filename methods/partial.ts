/**
 * @module `partial`: fine-tune only the last k blocks (the head counts as one) on clean cross-entropy,
 * CARTL's "Vanilla" transfer baseline. Earlier blocks and their BatchNorm statistics stay as they were.
 */
import { z } from 'zod';
import { crossEntropy } from '../harness/foundation/nn/losses.ts';
import { defineMethod } from './define.ts';
import { sgdConfig } from './common/sgd-config.ts';
import { fineTuneWith } from './common/fine-tune.ts';
import { lastBlocks, trainModeOnly, trainOnly } from './common/freeze.ts';

export default defineMethod({
  id: 'partial',
  title: 'Partial fine-tuning (last k blocks)',
  paper: {
    title: 'Cooperative Robust Transfer Learning (Vanilla baseline)',
    url: 'https://proceedings.mlr.press/v139/chen21j.html',
    venue: 'ICML 2021',
  },
  description:
    'The last k blocks of the network (head included) are fine-tuned with clean cross-entropy; the first ones are frozen.',
  config: z.strictObject({
    ...sgdConfig,
    k: z.number().int().positive().default(3).describe('blocks to fine-tune, head included'),
  }),
  fineTune: async (ctx) => {
    const trained = lastBlocks(ctx.model, ctx.config.k);
    trainOnly(ctx.model, trained);
    ctx.recordArtifact('partial', { trainedBlocks: trained });
    return fineTuneWith(ctx, {
      setTrainMode: (model) => trainModeOnly(model, trained),
      loss: (model, { x, y }) => crossEntropy(model.forward(x), y),
    });
  },
});
