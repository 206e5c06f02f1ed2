/** A well-behaved submitted entry: clean fine-tuning of the head only, with a schedule of its own. */
import { z } from 'zod';
import { crossEntropy } from '../../../../../harness/foundation/nn/losses.ts';
import { sgdConfig } from '../../../../../methods/common/sgd-config.ts';
import { fineTuneWith } from '../../../../../methods/common/fine-tune.ts';
import { trainModeOnly, trainOnly } from '../../../../../methods/common/freeze.ts';
import { defineMethod } from '../../../../../methods/define.ts';

export default defineMethod({
  id: 'head-only-submitted',
  title: 'Head-only fine-tuning (a submission)',
  description: 'Trains only the classifier head with clean cross-entropy.',
  config: z.strictObject(sgdConfig),
  fineTune: async (ctx) => {
    const head = [ctx.model.headName];
    trainOnly(ctx.model, head);
    return fineTuneWith(ctx, {
      setTrainMode: (m) => trainModeOnly(m, head),
      loss: (model, { x, y }) => crossEntropy(model.forward(x), y),
    });
  },
});
