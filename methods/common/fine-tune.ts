/**
 * @module fineTuneWith: the training loop shared by entries that differ only in their loss (and in
 * what they prepare per batch): SGD over the trainable parameters, the budget's epochs, a seeded
 * order, a cosine or constant schedule, curves recorded per epoch.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { DataSplit } from '../../datasets/types.ts';
import type { Classifier } from '../../harness/foundation/models/classifier.ts';
import { fit, type Batch } from '../../harness/orchestration/train/fit.ts';
import { sgd } from '../../harness/orchestration/train/optimizer.ts';
import { cosine } from '../../harness/foundation/nn/schedule.ts';
import type { FineTuneContext } from '../define.ts';

interface SgdOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: string;
}

export interface LossSpec {
  prepare?: (model: Classifier, batch: Batch) => Record<string, tf.Tensor>;
  loss: (model: Classifier, batch: Batch, prepared: Record<string, tf.Tensor>) => tf.Scalar;
  /** Which modules train (BN batch statistics) during a step; default the whole model. */
  setTrainMode?: (model: Classifier) => void;
  /**
   * Learning rate for a fractional epoch, for entries with their paper's schedule (multistep,
   * warm-up); default: `config.schedule` ('cosine' over the budget or 'constant').
   */
  lrAt?: (epoch: number) => number;
  /** Epochs to train; default the budget's. */
  epochs?: number;
  /** Training split; default ctx.train (RiFT trains on what its held-out set leaves). */
  train?: DataSplit;
  /** Prefix of the curve names and log lines when an entry trains in stages. */
  stage?: string;
  /** Called after each epoch (0-based) with the model, e.g. to keep the best checkpoint. */
  afterEpoch?: (epoch: number, model: Classifier) => void;
}

export async function fineTuneWith<C extends SgdOptions>(ctx: FineTuneContext<C>, spec: LossSpec): Promise<Classifier> {
  const { model, config, budget } = ctx;
  const epochs = spec.epochs ?? budget.epochs;
  const optimizer = sgd(model, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
  const lrAt = spec.lrAt
    ? (epoch: number, progress: number) => spec.lrAt!(epoch + progress)
    : config.schedule === 'cosine'
      ? (epoch: number, progress: number) => cosine(config.lr, epochs)(epoch + progress)
      : () => config.lr;
  const prefix = spec.stage ? `${spec.stage} ` : '';
  try {
    await fit({
      model,
      train: spec.train ?? ctx.train,
      epochs,
      batchSize: budget.batchSize,
      maxExamples: budget.maxTrainExamples,
      rng: ctx.rng.fork('data'),
      optimizer,
      lrAt,
      prepare: spec.prepare && ((batch) => spec.prepare!(model, batch)),
      loss: (batch, prepared) => spec.loss(model, batch, prepared),
      setTrainMode: spec.setTrainMode && (() => spec.setTrainMode!(model)),
      onEpoch: (epoch, s) => {
        spec.afterEpoch?.(epoch, model);
        ctx.recordCurve(
          epoch + 1,
          spec.stage
            ? { [`${spec.stage} loss`]: s.loss, [`${spec.stage} seconds`]: s.seconds }
            : { loss: s.loss, seconds: s.seconds },
        );
        ctx.log(`${prefix}epoch ${epoch + 1}/${epochs} loss ${s.loss.toFixed(4)} (${s.seconds.toFixed(1)} s)`);
      },
    });
  } finally {
    optimizer.dispose();
  }
  return model;
}
