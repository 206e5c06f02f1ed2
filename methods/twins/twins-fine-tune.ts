/**
 * @module The TWINS training procedure shared by `twins-at` and `twins-trades`: twin every BatchNorm,
 * split each batch in two (first half through the frozen wing, second through the adaptive wing),
 * generate adversarial examples in eval mode through the adaptive wing, and hand back the network with
 * its adaptive wings as ordinary BatchNorms (TWINS evaluates the adaptive wing only).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Classifier } from '../../harness/foundation/models/classifier.ts';
import { multistep } from '../../harness/foundation/nn/schedule.ts';
import type { Batch } from '../../harness/orchestration/train/fit.ts';
import type { FineTuneContext } from '../define.ts';
import { fineTuneWith } from '../common/fine-tune.ts';
import { keepAdaptiveWings, twinAllBatchNorms, withWing, type Wing } from './twin-batchnorm.ts';
import { WingLossLog } from './wing-divergence.ts';

/** The paper's CIFAR defaults (lr 0.003 at batch 128, weight decay 1e-5, x0.1 at epochs 30 and 50 of 60). */
export const twinsConfig = {
  lr: z.number().positive().default(0.003).describe('peak learning rate (paper: 0.003 at batch 128)'),
  momentum: z.number().min(0).max(1).default(0.9),
  weightDecay: z.number().min(0).default(1e-5).describe('paper: 1e-5 CIFAR, 1e-3 high resolution'),
  schedule: z
    .enum(['multistep', 'cosine', 'constant'])
    .default('multistep')
    .describe('multistep: x0.1 at 1/2 and 5/6 of the budget (epochs 30 and 50 of 60)'),
  lambda: z.number().min(0).default(1).describe('weight of the frozen-wing half (paper: 1.0 CIFAR, 0.4 Caltech)'),
};

export interface TwinsOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: 'multistep' | 'cosine' | 'constant';
  lambda: number;
}

/** Sizes of the frozen-wing and adaptive-wing halves; an odd batch gives the extra example to the adaptive wing. */
export function halves(n: number): [number, number] {
  const a = Math.floor(n / 2);
  return [a, n - a];
}

/** Rows [start, start + size) of a batch tensor. */
export function rows<T extends tf.Tensor>(t: T, start: number, size: number): T {
  const begin = t.shape.map((_, i) => (i === 0 ? start : 0));
  const sizes = t.shape.map((d, i) => (i === 0 ? size : d));
  return tf.slice(t, begin, sizes) as T;
}

/** Per-half loss: `half(wing, rows, weight)` sums lambda * frozen-half + adaptive-half, skipping an empty half. */
export type HalfLoss = (
  model: Classifier,
  wing: Wing,
  start: number,
  size: number,
  batch: Batch,
  prepared: Record<string, tf.Tensor>,
) => tf.Scalar;

const numberOf = (t: tf.Scalar | null) => (t ? t.dataSync()[0] : null);

export async function twinsFineTune<C extends TwinsOptions>(
  ctx: FineTuneContext<C>,
  spec: { prepare: (model: Classifier, batch: Batch) => Record<string, tf.Tensor>; halfLoss: HalfLoss },
): Promise<Classifier> {
  const { model, config, budget } = ctx;
  const twins = twinAllBatchNorms(model);
  ctx.recordArtifact('twins', { twinBatchNorms: twins, lambda: config.lambda });
  ctx.log(`${twins} BatchNorm layers twinned`);
  const wingLosses = new WingLossLog();
  try {
    await fineTuneWith(ctx, {
      lrAt:
        config.schedule === 'multistep'
          ? multistep(config.lr, [budget.epochs / 2, (budget.epochs * 5) / 6], 0.1)
          : undefined,
      // The adaptive wing is the default: attacks run through it, in eval mode (fit's prepare).
      prepare: (m, batch) => spec.prepare(m, batch),
      loss: (m, batch, prepared) => {
        const [a, b] = halves(batch.y.shape[0]);
        const frozen = a > 0 ? withWing(m, 'frozen', () => spec.halfLoss(m, 'frozen', 0, a, batch, prepared)) : null;
        const adaptive = b > 0 ? spec.halfLoss(m, 'adaptive', a, b, batch, prepared) : null;
        // Read back (synchronously) so that a divergence can say which wing blew up.
        wingLosses.record({ frozen: numberOf(frozen), adaptive: numberOf(adaptive) });
        const terms = [...(frozen ? [tf.mul(config.lambda, frozen)] : []), ...(adaptive ? [adaptive] : [])];
        return (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
      },
    });
  } catch (err) {
    throw wingLosses.explain(err, config.lr);
  } finally {
    keepAdaptiveWings(model);
  }
  return model;
}
