/**
 * @module The one training loop every method and the source pre-training use: seeded shuffling, an
 * optional per-batch preparation outside the gradient tape (adversarial examples), one optimiser
 * step per batch inside tf.tidy, a learning-rate schedule, a NaN guard, and a curve per epoch. Under an
 * active TrainState it checkpoints (each epoch end, every few minutes within one), resumes from the last
 * checkpoint, and stops cleanly when a stop is requested (graceful-stop.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type TrainingBatches, trainingBatches } from '../../../datasets/batch-prefetch.ts';
import { batchIndices } from '../../../datasets/batches.ts';
import type { DataSplit } from '../../../datasets/types.ts';
import type { Module } from '../../foundation/nn/module.ts';
import type { Rng } from '../../foundation/rng.ts';
import { DivergenceError } from './divergence.ts';
import { stopRequested, trainingStarted, TrainingStopped } from './graceful-stop.ts';
import type { Optimizer } from './optimizer.ts';
import { activeTrainState, type FitCheckpoints, type FitPosition } from './train-state.ts';
import { stepReporter, type TrainingProgressListener } from './progress.ts';

export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
}

export interface FitOptions {
  readonly model: Module;
  readonly train: DataSplit;
  readonly epochs: number;
  readonly batchSize: number;
  /** Cap on examples per epoch (a fresh seeded subset each epoch). */
  readonly maxExamples?: number;
  readonly rng: Rng;
  readonly optimizer: Optimizer;
  /** Learning rate for (epoch, fraction of the epoch done). */
  readonly lrAt: (epoch: number, progress: number) => number;
  /**
   * Extra tensors for a batch, computed before the gradient tape (e.g. adversarial examples in eval
   * mode). Whatever it returns is disposed after the step.
   */
  readonly prepare?: (batch: Batch) => Record<string, tf.Tensor>;
  /** The scalar loss of a batch, model in train mode; runs inside the gradient tape. */
  readonly loss: (batch: Batch, prepared: Record<string, tf.Tensor>) => tf.Scalar;
  /** Puts the model in the mode the loss expects; default `model.train()`. */
  readonly setTrainMode?: () => void;
  readonly onEpoch?: (epoch: number, stats: { loss: number; seconds: number; examples: number }) => void;
  /** Called after each step; default the enclosing `withTrainingProgress` listener (progress.ts). */
  readonly onProgress?: TrainingProgressListener;
  /** Worker threads making augmented batches ahead (datasets/batch-prefetch.ts); default prefetchWorkers(). */
  readonly prefetchWorkers?: number;
}

export async function fit(opts: FitOptions): Promise<void> {
  const { model, train, optimizer } = opts;
  const perEpoch = Math.min(train.n, opts.maxExamples ?? train.n);
  const steps = Math.ceil(perEpoch / opts.batchSize);
  const checkpoints = activeTrainState()?.beginFit({ model, optimizer, epochs: opts.epochs, stepsPerEpoch: steps });
  if (checkpoints?.finished) return;
  const resumeAt = checkpoints?.resumeAt;
  const done = trainingStarted();
  const report = stepReporter(opts.epochs, steps, opts.onProgress);
  const batches = trainingBatches(train, opts.prefetchWorkers === undefined ? {} : { workers: opts.prefetchWorkers });
  try {
    for (let epoch = resumeAt?.epoch ?? 0; epoch < opts.epochs; epoch++) {
      const resumed = epoch === resumeAt?.epoch ? resumeAt : undefined;
      await fitEpoch(opts, batches, epoch, steps, perEpoch, resumed, checkpoints, report);
    }
  } finally {
    await batches.close();
    done();
  }
}

/** Throws TrainingStopped once the checkpoint at `position` is written (under a TrainState). */
function stop(checkpoints: FitCheckpoints | undefined, position: FitPosition, { save = true } = {}): never {
  if (save) checkpoints?.save(position);
  const where = `fit ${(checkpoints?.index ?? 0) + 1}, epoch ${position.epoch + 1}, step ${position.step}`;
  const resumable = checkpoints ? '; the same command resumes it from its last checkpoint' : '';
  throw new TrainingStopped(`training stopped on request at ${where}${resumable}`);
}

async function fitEpoch(
  opts: FitOptions,
  batches: TrainingBatches,
  epoch: number,
  steps: number,
  perEpoch: number,
  resumed: FitPosition | undefined,
  checkpoints: FitCheckpoints | undefined,
  report: (epoch: number, step: number) => void,
): Promise<void> {
  const { model, train, optimizer } = opts;
  const started = performance.now();
  const epochRng = opts.rng.fork(`epoch-${epoch}`);
  let lossSum = resumed?.lossSum ?? 0;
  let seen = resumed?.seen ?? 0;
  let step = resumed?.step ?? 0;
  // Same shuffle as the interrupted run: pass over the batches it had already trained on.
  const order = [...batchIndices(train.n, { batchSize: opts.batchSize, rng: epochRng, limit: perEpoch })];
  // The protocol's augmentation (if the split has one) draws per (seed, epoch, example): resumable as it is,
  // and the same whichever thread makes the batch.
  for await (const batch of batches.epoch(epoch, order.slice(step))) {
    optimizer.lr = opts.lrAt(epoch, step / steps);
    const size = batch.y.shape[0];
    const prepared = opts.prepare ? opts.prepare(batch) : {};
    (opts.setTrainMode ?? (() => model.train()))();
    const loss = optimizer.minimize(() => opts.loss(batch, prepared));
    tf.dispose([batch.x, batch.y, ...Object.values(prepared)]);
    if (!Number.isFinite(loss)) throw new DivergenceError(epoch + 1, step + 1, loss);
    lossSum += loss * size;
    seen += size;
    step++;
    if (step < steps) report(epoch, step); // the epoch's last step is reported after onEpoch's line
    // Let progress output and signals through between steps.
    await new Promise((r) => setImmediate(r));
    if (step < steps && stopRequested()) stop(checkpoints, { epoch, step, lossSum, seen });
    if (step < steps && checkpoints?.due()) checkpoints.save({ epoch, step, lossSum, seen });
  }
  opts.onEpoch?.(epoch, {
    loss: lossSum / Math.max(1, seen),
    seconds: (performance.now() - started) / 1000,
    examples: seen,
  });
  report(epoch, steps);
  const next = { epoch: epoch + 1, step: 0, lossSum: 0, seen: 0 };
  if (epoch + 1 < opts.epochs) {
    if (stopRequested()) stop(checkpoints, next);
    checkpoints?.save(next);
    return;
  }
  checkpoints?.finish();
  if (stopRequested()) stop(checkpoints, next, { save: false });
}
