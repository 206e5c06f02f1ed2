/**
 * @module `cartl` (Chen et al., "CARTL: Cooperative Adversarially-Robust Transfer Learning", ICML 2021),
 * target side: the first L-k blocks stay frozen (weights and BatchNorm statistics), every Conv/Linear of
 * the last k blocks is spectrally normalised to beta (NEFT), and the last k blocks are fine-tuned with
 * clean cross-entropy. The source side, FDM, is the `at-fdm` pre-training recipe; beta defaults to 0.4
 * on an FDM source and 0.6 on a plain adversarial one, and k to the source's FDM k.
 */
import { z } from 'zod';
import { BatchNorm2d } from '../../harness/foundation/nn/batchnorm.ts';
import { crossEntropy } from '../../harness/foundation/nn/losses.ts';
import { multistep, warmup } from '../../harness/foundation/nn/schedule.ts';
import { defineMethod } from '../define.ts';
import { fineTuneWith } from '../common/fine-tune.ts';
import { lastBlocks, trainModeOnly, trainOnly } from '../common/freeze.ts';
import { applyNeft, bakeNeft, within } from './neft.ts';

export default defineMethod({
  id: 'cartl',
  title: 'CARTL (FDM source + non-expansive fine-tuning)',
  paper: {
    title: 'CARTL: Cooperative Adversarially-Robust Transfer Learning',
    url: 'https://arxiv.org/abs/2106.06667',
    venue: 'ICML 2021',
  },
  description:
    'The first L-k blocks are frozen; every Conv/Linear in the last k blocks is reparameterised to beta * W / sigma(W) (power iteration, one step per forward) and fine-tuned with clean cross-entropy. Pair with an at-fdm source.',
  config: z.strictObject({
    lr: z.number().positive().default(0.1).describe('peak learning rate (paper: 0.1, batch 128)'),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(5e-4),
    schedule: z
      .enum(['paper', 'cosine', 'constant'])
      .default('paper')
      .describe('paper: linear warm-up over the first 1% of the budget (1 of 100 epochs), x0.2 at 40/70/90%'),
    k: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("blocks fine-tuned, head included (default: the FDM source's k; paper: 4, 6, 8 of 17)"),
    beta: z
      .number()
      .positive()
      .optional()
      .describe('spectral norm of each NEFT layer (default: 0.4 with an FDM source, 0.6 otherwise)'),
    freezeBnAffine: z.boolean().default(false).describe('freeze BatchNorm weight/bias in the fine-tuned blocks'),
    freezeBnStats: z
      .boolean()
      .default(false)
      .describe('reuse the source BatchNorm statistics in the fine-tuned blocks (eval-mode BN)'),
  }),
  fineTune: async (ctx) => {
    const { model, config, budget } = ctx;
    const fdm = ctx.sourceRecipe?.recipe === 'at-fdm' ? ctx.sourceRecipe.fdm : undefined;
    const k = config.k ?? fdm?.k;
    if (k === undefined)
      throw new Error('cartl: config.k is required when the source was not pre-trained with FDM (recipe at-fdm)');
    if (fdm && fdm.k !== k)
      ctx.log(`warning: k ${k} differs from the FDM source's k ${fdm.k}; FDM shaped the input of another block`);
    const beta = config.beta ?? (fdm ? 0.4 : 0.6);
    const trained = lastBlocks(model, k);
    const neftLayers = applyNeft(model, trained, beta, ctx.rng.fork('neft'));
    trainOnly(model, trained);
    const bnInTrained = model
      .namedModules()
      .filter(([name, m]) => m instanceof BatchNorm2d && within(name, trained))
      .map(([name]) => name);
    if (config.freezeBnAffine) model.setTrainable((name) => within(name, bnInTrained), false);
    ctx.recordArtifact('cartl', {
      k,
      beta,
      betaFrom: config.beta !== undefined ? 'config' : fdm ? 'FDM source default' : 'plain source default',
      sourceFdm: fdm ?? null,
      trainedBlocks: trained,
      neftLayers,
      freezeBnAffine: config.freezeBnAffine,
      freezeBnStats: config.freezeBnStats,
    });
    const e = budget.epochs;
    try {
      await fineTuneWith(ctx, {
        lrAt:
          config.schedule === 'paper'
            ? warmup(e / 100, multistep(config.lr, [0.4 * e, 0.7 * e, 0.9 * e], 0.2))
            : undefined,
        setTrainMode: (m) => {
          trainModeOnly(m, trained);
          if (config.freezeBnStats)
            for (const [name, bn] of m.namedModules()) if (bnInTrained.includes(name)) bn.training = false;
        },
        loss: (m, { x, y }) => crossEntropy(m.forward(x), y),
      });
    } finally {
      bakeNeft(model);
    }
    return model;
  },
});
