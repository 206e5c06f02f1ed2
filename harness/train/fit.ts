/**
 * @module The one training loop every method and the source pre-training use: seeded shuffling, an
 * optional per-batch preparation outside the gradient tape (adversarial examples), one optimiser
 * step per batch inside tf.tidy, a learning-rate schedule, a NaN guard, and a curve per epoch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchIndices, toBatch } from '../../datasets/batches.ts';
import type { DataSplit } from '../../datasets/types.ts';
import type { Module } from '../nn/module.ts';
import type { Rng } from '../rng.ts';
import { DivergenceError } from './divergence.ts';
import type { Optimizer } from './optimizer.ts';

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
}

export async function fit(opts: FitOptions): Promise<void> {
  const { model, train, optimizer } = opts;
  const perEpoch = Math.min(train.n, opts.maxExamples ?? train.n);
  const steps = Math.ceil(perEpoch / opts.batchSize);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const started = performance.now();
    const epochRng = opts.rng.fork(`epoch-${epoch}`);
    let lossSum = 0;
    let seen = 0;
    let step = 0;
    for (const idx of batchIndices(train.n, { batchSize: opts.batchSize, rng: epochRng, limit: perEpoch })) {
      optimizer.lr = opts.lrAt(epoch, step / steps);
      const batch = toBatch(train, idx);
      const prepared = opts.prepare ? opts.prepare(batch) : {};
      (opts.setTrainMode ?? (() => model.train()))();
      const loss = optimizer.minimize(() => opts.loss(batch, prepared));
      tf.dispose([batch.x, batch.y, ...Object.values(prepared)]);
      if (!Number.isFinite(loss)) throw new DivergenceError(epoch + 1, step + 1, loss);
      lossSum += loss * idx.length;
      seen += idx.length;
      step++;
      // Let progress output and signals through between steps.
      await new Promise((r) => setImmediate(r));
    }
    opts.onEpoch?.(epoch, { loss: lossSum / Math.max(1, seen), seconds: (performance.now() - started) / 1000, examples: seen });
  }
}
