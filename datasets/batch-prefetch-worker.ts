/**
 * @module One batch prefetch worker: it holds the split (images in shared memory) and makes the training
 * batches the prefetcher asks for with the training thread's own code (pipelinePixels), so its pixels are
 * the same bytes; each answer's buffer is transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import type { FromPrefetchWorker, ToPrefetchWorker } from './batch-prefetch-messages.ts';
import { pipelinePixels } from './batch-pipeline.ts';
import type { DataSplit } from './types.ts';

const port = parentPort;
if (!port) throw new Error('batch-prefetch-worker.ts runs only as a worker thread (see batch-prefetch.ts)');

let split: DataSplit | undefined;

function answer(m: FromPrefetchWorker): void {
  port!.postMessage(m, m.type === 'pixels' ? [m.pixels.buffer as ArrayBuffer] : []);
}

port.on('message', (m: ToPrefetchWorker) => {
  if (m.type === 'split') {
    // Labels stay with the training thread: a batch here is pixels only.
    split = { images: m.images, labels: new Int32Array(0), n: m.n, shape: m.shape, pipeline: m.pipeline };
    return;
  }
  try {
    if (!split) throw new Error('a batch was asked for before the split');
    const pixels = pipelinePixels(split, m.rows, m.epoch);
    if (!pixels) throw new Error('the split passes through its pipeline: nothing to prefetch');
    answer({ type: 'pixels', id: m.id, pixels });
  } catch (err) {
    answer({ type: 'error', id: m.id, message: (err as Error).message });
  }
});
answer({ type: 'ready' });
