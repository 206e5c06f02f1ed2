/**
 * @module Batching: seeded index order and uint8 → float32 [0,1] NHWC tensors (through the split's
 * pipeline, if any) made on the active backend (a tensor made on one backend and read on another can be
 * misread; see backend.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../harness/foundation/rng.ts';
import { batchShape, pipelinePixels } from './batch-pipeline.ts';
import type { DataSplit } from './types.ts';

export interface BatchOptions {
  batchSize: number;
  /** Shuffle with this generator; without it, indices come in order (evaluation). */
  rng?: Rng;
  /** Use only this many indices (the first ones, or the first of the shuffled order). */
  limit?: number;
  /** Drop a last partial batch. */
  dropLast?: boolean;
}

export function* batchIndices(n: number, opts: BatchOptions): Generator<Int32Array> {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0)
    throw new Error(`batchIndices: batchSize must be a positive integer, got ${opts.batchSize}`);
  const order = opts.rng ? opts.rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  const total = Math.min(n, opts.limit ?? n);
  for (let start = 0; start < total; start += opts.batchSize) {
    const end = Math.min(total, start + opts.batchSize);
    if (opts.dropLast && end - start < opts.batchSize) return;
    yield order.subarray(start, end);
  }
}

export interface TensorBatch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
}

/**
 * Rows `indices` as model input. A split with a pipeline (the protocol's resize, channel rule and
 * augmentation: batch-pipeline.ts) is transformed on the way; `epoch` marks a training batch, augmented
 * for that epoch; without it the batch is an evaluation batch (resized only).
 */
export function toBatch(split: DataSplit, indices: ArrayLike<number>, opts: { epoch?: number } = {}): TensorBatch {
  const [h, w, c] = split.shape;
  const per = h * w * c;
  const labels = batchLabels(split, indices);
  const transformed = pipelinePixels(split, indices, opts.epoch);
  if (transformed) return pipelineBatch(split, indices, transformed, labels);
  const pixels = new Float32Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * per;
    for (let j = 0; j < per; j++) pixels[i * per + j] = split.images[src + j] / 255;
  }
  return { x: tf.tensor4d(pixels, [indices.length, h, w, c]), y: tf.tensor1d(labels, 'int32') };
}

/** The labels of rows `indices`, each checked to lie inside the split. */
export function batchLabels(split: DataSplit, indices: ArrayLike<number>): Int32Array {
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    if (indices[i] < 0 || indices[i] >= split.n)
      throw new Error(`toBatch: index ${indices[i]} outside 0..${split.n - 1}`);
    labels[i] = split.labels[indices[i]];
  }
  return labels;
}

/**
 * Rows `indices` as model input from pixels the split's pipeline already made (pipelinePixels, here or in
 * a prefetching worker: datasets/batch-prefetch.ts): the batch toBatch returns for them.
 */
export function pipelineBatch(
  split: DataSplit,
  indices: ArrayLike<number>,
  pixels: Float32Array,
  labels = batchLabels(split, indices),
): TensorBatch {
  return { x: tf.tensor4d(pixels, [indices.length, ...batchShape(split)]), y: tf.tensor1d(labels, 'int32') };
}
