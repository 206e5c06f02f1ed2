/**
 * @module Held-out data for RiFT: a seeded split of the target training data (the test split is the
 * harness's alone), and clean / PGD accuracy on it for choosing the checkpoint and the alpha.
 */
import * as tf from '@tensorflow/tfjs-core';
import { pgd } from '../../attacks/pgd.ts';
import { batchIndices, toBatch } from '../../datasets/batches.ts';
import { subsetPipeline } from '../../datasets/batch-pipeline.ts';
import type { DataSplit } from '../../datasets/types.ts';
import type { Classifier } from '../../harness/foundation/models/classifier.ts';
import type { Rng } from '../../harness/foundation/rng.ts';
import type { ThreatModel } from '../define.ts';

/** Rows `indices` of a split, copied. */
export function subset(split: DataSplit, indices: ArrayLike<number>): DataSplit {
  const per = split.shape[0] * split.shape[1] * split.shape[2];
  const images = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    images.set(split.images.subarray(indices[i] * per, (indices[i] + 1) * per), i * per);
    labels[i] = split.labels[indices[i]];
  }
  // Each example keeps its id, so the protocol's augmentation gives it the crops it gets in other methods.
  const pipeline = subsetPipeline(split.pipeline, indices);
  return { images, labels, n: indices.length, shape: split.shape, ...(pipeline ? { pipeline } : {}) };
}

/** A seeded held-out part of `n` examples and the rest for training. */
export function holdOut(split: DataSplit, n: number, rng: Rng): { train: DataSplit; heldOut: DataSplit } {
  if (n >= split.n) throw new Error(`rift: holdout ${n} must be smaller than the training split (${split.n} examples)`);
  const order = rng.permutation(split.n);
  return { heldOut: subset(split, order.subarray(0, n)), train: subset(split, order.subarray(n)) };
}

export interface HeldOutAccuracy {
  clean: number;
  /** Correct on the clean point and on its PGD example (RobustBench's count). */
  robust: number;
}

/** Clean accuracy only (checkpoint selection), model in eval mode. */
export function cleanAccuracy(model: Classifier, split: DataSplit, batchSize = 256): number {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  try {
    for (const idx of batchIndices(split.n, { batchSize })) {
      const { x, y } = toBatch(split, idx);
      const hits = tf.tidy(() =>
        tf.sum(tf.cast(tf.equal(tf.argMax(model.forward(x), 1), tf.cast(y, 'int32')), 'int32')),
      );
      correct += hits.dataSync()[0];
      tf.dispose([x, y, hits]);
    }
  } finally {
    model.train(wasTraining);
  }
  return correct / split.n;
}

/** Clean and PGD accuracy with a fixed attack seed, so every candidate faces the same random starts. */
export function robustAccuracy(
  model: Classifier,
  split: DataSplit,
  threat: ThreatModel,
  steps: number,
  seed: number,
  batchSize = 256,
): HeldOutAccuracy {
  const wasTraining = model.training;
  model.eval();
  const attack = pgd({ norm: threat.norm, eps: threat.eps, alpha: threat.eps / 4, steps, randomStart: true });
  let clean = 0;
  let robust = 0;
  let batch = 0;
  try {
    for (const idx of batchIndices(split.n, { batchSize })) {
      const { x, y } = toBatch(split, idx);
      const { xAdv } = attack.run((z) => model.forward(z), x, y, seed + batch++);
      const [c, r] = tf.tidy(() => {
        const label = tf.cast(y, 'int32');
        const okClean = tf.equal(tf.argMax(model.forward(x), 1), label);
        const okAdv = tf.logicalAnd(okClean, tf.equal(tf.argMax(model.forward(xAdv), 1), label));
        return [tf.sum(tf.cast(okClean, 'int32')), tf.sum(tf.cast(okAdv, 'int32'))];
      });
      clean += c.dataSync()[0];
      robust += r.dataSync()[0];
      tf.dispose([x, y, xAdv, c, r]);
    }
  } finally {
    model.train(wasTraining);
  }
  return { clean: clean / split.n, robust: robust / split.n };
}
