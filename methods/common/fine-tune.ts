/**
 * @module fineTuneWith: the training loop shared by entries that differ only in their loss (and in
 * what they prepare per batch): SGD over the trainable parameters, the budget's epochs, a seeded
 * order, a cosine or constant schedule, curves recorded per epoch.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../../harness/models/classifier.ts';
import { fit, type Batch } from '../../harness/train/fit.ts';
import { sgd } from '../../harness/train/optimizer.ts';
import { cosine } from '../../harness/nn/schedule.ts';
import type { FineTuneContext } from '../define.ts';

interface SgdOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: 'cosine' | 'constant';
}

export interface LossSpec {
  prepare?: (model: Classifier, batch: Batch) => Record<string, tf.Tensor>;
  loss: (model: Classifier, batch: Batch, prepared: Record<string, tf.Tensor>) => tf.Scalar;
  /** Which modules train (BN batch statistics) during a step; default the whole model. */
  setTrainMode?: (model: Classifier) => void;
}

export async function fineTuneWith<C extends SgdOptions>(ctx: FineTuneContext<C>, spec: LossSpec): Promise<Classifier> {
  const { model, config, budget } = ctx;
  const optimizer = sgd(model, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
  const lrAt =
    config.schedule === 'cosine'
      ? (epoch: number, progress: number) => cosine(config.lr, budget.epochs)(epoch + progress)
      : () => config.lr;
  try {
    await fit({
      model,
      train: ctx.train,
      epochs: budget.epochs,
      batchSize: budget.batchSize,
      maxExamples: budget.maxTrainExamples,
      rng: ctx.rng.fork('data'),
      optimizer,
      lrAt,
      prepare: spec.prepare && ((batch) => spec.prepare!(model, batch)),
      loss: (batch, prepared) => spec.loss(model, batch, prepared),
      setTrainMode: spec.setTrainMode && (() => spec.setTrainMode!(model)),
      onEpoch: (epoch, s) => {
        ctx.recordCurve(epoch + 1, { loss: s.loss, seconds: s.seconds });
        ctx.log(`epoch ${epoch + 1}/${budget.epochs} loss ${s.loss.toFixed(4)} (${s.seconds.toFixed(1)} s)`);
      },
    });
  } finally {
    optimizer.dispose();
  }
  return model;
}
