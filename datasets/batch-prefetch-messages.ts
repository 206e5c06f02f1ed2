/** @module What the batch prefetcher (batch-prefetch.ts) and its workers (batch-prefetch-worker.ts) send each other. */
import type { BatchPipeline } from './types.ts';

export type ToPrefetchWorker =
  /** The split the batches come from: its images in shared memory (every worker reads the one copy). */
  | {
      type: 'split';
      images: Uint8Array;
      n: number;
      shape: readonly [number, number, number];
      pipeline: BatchPipeline;
    }
  /** Make the training batch of rows `rows` in `epoch` (pipelinePixels). */
  | { type: 'batch'; id: number; rows: Int32Array; epoch: number };

export type FromPrefetchWorker =
  | { type: 'ready' }
  | { type: 'pixels'; id: number; pixels: Float32Array }
  | { type: 'error'; id: number; message: string };
