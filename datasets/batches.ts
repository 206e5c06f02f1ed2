/**
 * @module Batching: seeded index order and uint8 → float32 [0,1] NHWC tensors made on the active
 * backend (a tensor made on one backend and read on another can be misread; see backend.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../harness/rng.ts';
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
  if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0) throw new Error(`batchIndices: batchSize must be a positive integer, got ${opts.batchSize}`);
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

export function toBatch(split: DataSplit, indices: ArrayLike<number>): TensorBatch {
  const [h, w, c] = split.shape;
  const per = h * w * c;
  const pixels = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * per;
    if (indices[i] < 0 || indices[i] >= split.n) throw new Error(`toBatch: index ${indices[i]} outside 0..${split.n - 1}`);
    for (let j = 0; j < per; j++) pixels[i * per + j] = split.images[src + j] / 255;
    labels[i] = split.labels[indices[i]];
  }
  return { x: tf.tensor4d(pixels, [indices.length, h, w, c]), y: tf.tensor1d(labels, 'int32') };
}
