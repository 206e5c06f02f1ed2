/**
 * @module `at`: adversarial fine-tuning (Madry et al.): every layer trained on the protocol's PGD
 * examples, generated in eval mode. The robust baseline every other entry is compared with.
 */
import { z } from 'zod';
import { crossEntropy } from '../harness/foundation/nn/losses.ts';
import { defineMethod } from './define.ts';
import { sgdConfig } from './common/sgd-config.ts';
import { fineTuneWith } from './common/fine-tune.ts';

export default defineMethod({
  id: 'at',
  title: 'Adversarial fine-tuning (PGD-AT)',
  paper: {
    title: 'Towards Deep Learning Models Resistant to Adversarial Attacks',
    url: 'https://arxiv.org/abs/1706.06083',
    venue: 'ICLR 2018',
  },
  description: "All layers fine-tuned with cross-entropy on PGD examples (the protocol's training attack, eval mode).",
  config: z.strictObject(sgdConfig),
  fineTune: (ctx) =>
    fineTuneWith(ctx, {
      prepare: (model, { x, y }) => ({ xAdv: ctx.adversarial(model, x, y) }),
      loss: (model, batch, { xAdv }) => crossEntropy(model.forward(xAdv), batch.y),
    }),
});
