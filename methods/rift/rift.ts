/**
 * @module `rift` (Zhu et al., "Improving Generalization of Adversarial Training via Robust Critical
 * Fine-Tuning", ICCV 2023), on a transfer task: (1) adversarial fine-tuning gives theta_AT (RiFT starts
 * from an AT model of the target task); (2) the module robust criticality of every Conv/Linear on a fixed
 * set of PGD examples; (3) clean fine-tuning (flip + crop) of the least critical module only, keeping the
 * epoch with the best held-out clean accuracy; (4) theta(alpha) = alpha theta_ft + (1 - alpha) theta_AT for
 * alpha = 0, 0.1 … 1, chosen by the explicit rule in `interpolate.ts` on a held-out part of the
 * training split. Everything is recorded under the `rift` artifact.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { pgd } from '../../attacks/pgd.ts';
import { batchIndices, toBatch } from '../../datasets/batches.ts';
import { protocolAugments } from '../../datasets/batch-pipeline.ts';
import type { DataSplit } from '../../datasets/types.ts';
import type { Classifier } from '../../harness/foundation/models/classifier.ts';
import { crossEntropy } from '../../harness/foundation/nn/losses.ts';
import type { StateDict } from '../../harness/foundation/nn/module.ts';
import { cosine, multistep } from '../../harness/foundation/nn/schedule.ts';
import { defineMethod, type FineTuneContext } from '../define.ts';
import { fineTuneWith } from '../common/fine-tune.ts';
import { trainOnly } from '../common/freeze.ts';
import { flipCrop } from './augment.ts';
import { cleanAccuracy, holdOut, robustAccuracy } from './holdout.ts';
import { interpolateState, selectAlpha, selectionRule, type AlphaPoint } from './interpolate.ts';
import { criticalityCandidates, moduleRobustCriticality, type AdversarialSet, type MrcResult } from './mrc.ts';

const config = z.strictObject({
  atLr: z.number().positive().default(0.01).describe('stage 1 (adversarial fine-tuning to theta_AT): peak lr, cosine'),
  atEpochs: z.number().int().positive().optional().describe("stage 1 epochs (default: the budget's)"),
  mrcExamples: z.number().int().positive().default(512).describe('PGD examples MRC is measured on'),
  mrcAttackSteps: z.number().int().positive().default(10).describe('PGD steps of those examples (step eps/4)'),
  mrcEpochs: z.number().int().positive().default(10).describe('gradient-ascent passes over the set'),
  mrcLr: z.number().positive().default(1),
  mrcRadius: z.number().positive().default(0.1).describe('||dW||_F <= radius * ||W||_F'),
  lr: z.number().positive().default(0.001).describe('stage 3 (critical fine-tuning): lr, x0.1 at half the epochs'),
  momentum: z.number().min(0).max(1).default(0.9),
  weightDecay: z.number().min(0).default(5e-4),
  schedule: z
    .enum(['paper', 'cosine', 'constant'])
    .default('paper')
    .describe('stage 3; paper: x0.1 at half (epoch 5 of 10)'),
  ftEpochs: z.number().int().positive().optional().describe("stage 3 epochs (default: the budget's; paper: 10)"),
  augment: z
    .boolean()
    .default(true)
    .describe(
      "stage 3 augments: by the protocol's augmentation where the task has one, else RiFT's own flip + crop (pad 4)",
    ),
  holdout: z
    .number()
    .int()
    .positive()
    .default(500)
    .describe('training examples held out to pick the checkpoint and alpha'),
  selectAttackSteps: z
    .number()
    .int()
    .positive()
    .default(10)
    .describe('PGD steps of the held-out robust accuracy (step eps/4)'),
  tolerance: z.number().min(0).max(1).default(0.01).describe('allowed drop of held-out robust accuracy below alpha 0'),
});

type RiftConfig = z.output<typeof config>;

/** The fixed PGD set MRC is measured on: the first mrcExamples of a seeded order, attacked once. */
function adversarialSet(ctx: FineTuneContext<RiftConfig>, model: Classifier, train: DataSplit): AdversarialSet {
  const rng = ctx.rng.fork('mrc-set');
  const n = Math.min(ctx.config.mrcExamples, train.n);
  const order = rng.permutation(train.n).subarray(0, n);
  const attack = pgd({
    norm: ctx.threat.norm,
    eps: ctx.threat.eps,
    alpha: ctx.threat.eps / 4,
    steps: ctx.config.mrcAttackSteps,
    randomStart: true,
  });
  const batches: { x: tf.Tensor4D; y: tf.Tensor1D }[] = [];
  model.eval();
  for (const idx of batchIndices(n, { batchSize: ctx.budget.batchSize })) {
    const { x, y } = toBatch(
      train,
      Array.from(idx, (i) => order[i]),
    );
    const { xAdv } = attack.run((z) => model.forward(z), x, y, rng.nextSeed());
    x.dispose();
    batches.push({ x: xAdv, y });
  }
  return { batches, n };
}

export default defineMethod({
  id: 'rift',
  title: 'RiFT (robust critical fine-tuning)',
  paper: {
    title: 'Improving Generalization of Adversarial Training via Robust Critical Fine-Tuning',
    url: 'https://arxiv.org/abs/2308.02533',
    venue: 'ICCV 2023',
  },
  description:
    'Adversarial fine-tuning to theta_AT, then the module with the lowest robust criticality (worst-case weight perturbation within 10% of its norm) is fine-tuned alone on clean data, and theta_AT and the result are interpolated with alpha picked on held-out data by an explicit rule.',
  config,
  fineTune: async (ctx) => {
    const { model, config: c, budget } = ctx;
    const { train, heldOut } = holdOut(ctx.train, c.holdout, ctx.rng.fork('holdout'));
    const atEpochs = c.atEpochs ?? budget.epochs;
    const ftEpochs = c.ftEpochs ?? budget.epochs;

    // 1. theta_AT: every layer on the protocol's PGD examples.
    await fineTuneWith(ctx, {
      stage: 'at',
      train,
      epochs: atEpochs,
      lrAt: cosine(c.atLr, atEpochs),
      prepare: (m, { x, y }) => ({ xAdv: ctx.adversarial(m, x, y) }),
      loss: (m, { y }, { xAdv }) => crossEntropy(m.forward(xAdv), y),
    });

    // 2. Module robust criticality of every Conv/Linear (restores the model exactly; kept by a resumed cell).
    const { mrc, setSize } = await ctx.stage('mrc', () => {
      const set = adversarialSet(ctx, model, train);
      const out: Record<string, MrcResult> = {};
      try {
        for (const name of criticalityCandidates(model)) {
          out[name] = moduleRobustCriticality(model, name, set, {
            epochs: c.mrcEpochs,
            lr: c.mrcLr,
            radius: c.mrcRadius,
          });
          ctx.log(
            `MRC ${name}: ${out[name].mrc.toFixed(4)} (loss ${out[name].baseLoss.toFixed(4)} -> ${out[name].worstLoss.toFixed(4)})`,
          );
        }
      } finally {
        for (const b of set.batches) tf.dispose([b.x, b.y]);
      }
      return { mrc: out, setSize: set.n };
    });
    const chosen = Object.entries(mrc).reduce((best, e) => (e[1].mrc < best[1].mrc ? e : best))[0];
    ctx.log(`least critical module: ${chosen}`);

    const states: { at?: StateDict; ft?: StateDict; best?: StateDict } = {};
    try {
      states.at = model.stateDict();
      // 3. Clean fine-tuning of the chosen module only, keeping the best held-out epoch.
      trainOnly(model, [chosen]);
      const augRng = ctx.rng.fork('augment');
      // The protocol's augmentation already reaches every batch (batch-pipeline.ts): RiFT adds its own only without it.
      const ownAugment = c.augment && !protocolAugments(train);
      let best = { epoch: 0, clean: -1 };
      // The best epoch so far lives outside the model: checkpoints carry it.
      ctx.persist('rift-best', {
        save: () => ({ json: best, tensors: states.best }),
        restore: (saved) => {
          best = saved.json as typeof best;
          if (states.best) tf.dispose(states.best);
          states.best = Object.keys(saved.tensors).length ? saved.tensors : undefined;
        },
      });
      await fineTuneWith(ctx, {
        stage: 'ft',
        train,
        epochs: ftEpochs,
        lrAt: c.schedule === 'paper' ? multistep(c.lr, [ftEpochs / 2], 0.1) : undefined,
        prepare: ownAugment ? (_m, { x }) => ({ xAug: flipCrop(x, augRng) }) : undefined,
        loss: (m, { x, y }, prepared) => crossEntropy(m.forward(ownAugment ? (prepared.xAug as tf.Tensor4D) : x), y),
        afterEpoch: (epoch, m) => {
          const clean = cleanAccuracy(m, heldOut);
          if (clean > best.clean) {
            best = { epoch: epoch + 1, clean };
            if (states.best) tf.dispose(states.best);
            states.best = m.stateDict();
          }
        },
      });
      states.ft = states.best!;
      states.best = undefined;

      // 4. Interpolate and pick alpha by the rule, every alpha facing the same attack seeds (the model is
      // set to the chosen theta right after, so the stage need not restore it).
      const seed = ctx.rng.fork('select').nextSeed();
      const { at, ft } = states;
      const points = await ctx.stage('alpha-grid', () => {
        const out: AlphaPoint[] = [];
        for (let i = 0; i <= 10; i++) {
          const alpha = i / 10;
          const theta = interpolateState(at, ft, alpha);
          model.loadStateDict(theta);
          tf.dispose(theta);
          out.push({ alpha, ...robustAccuracy(model, heldOut, ctx.threat, c.selectAttackSteps, seed) });
        }
        return out;
      });
      const pick = selectAlpha(points, c.tolerance);
      const theta = interpolateState(states.at, states.ft, pick.alpha);
      model.loadStateDict(theta);
      tf.dispose(theta);
      ctx.log(
        `alpha ${pick.alpha}: held-out clean ${(pick.clean * 100).toFixed(1)}%, PGD ${(pick.robust * 100).toFixed(1)}%`,
      );
      ctx.recordArtifact('rift', {
        criticality: Object.fromEntries(Object.entries(mrc).map(([n, r]) => [n, r.mrc])),
        module: chosen,
        alpha: pick.alpha,
        rule: selectionRule(c.tolerance),
        alphas: points,
        bestEpoch: best.epoch,
        heldOut: heldOut.n,
        mrcDetails: Object.fromEntries(
          Object.entries(mrc).map(([n, r]) => [
            n,
            { baseLoss: r.baseLoss, worstLoss: r.worstLoss, deltaNorm: r.worstDeltaNorm, radius: r.radius },
          ]),
        ),
        mrcSet: setSize,
      });
    } finally {
      for (const s of Object.values(states)) if (s) tf.dispose(s);
    }
    model.setTrainable(() => true, true);
    return model;
  },
});
