/**
 * @module Training batches made ahead, off the training thread. A split whose pipeline resizes or augments
 * its batches (batch-pipeline.ts) can have worker threads make batch k+1.. while the model trains on batch k.
 * An example's draws depend only on (cell seed, epoch, example id) and a worker runs the training thread's
 * own code (pipelinePixels), so the batches are the same bytes as toBatch's. The images go to the workers
 * once, in shared memory; each batch comes back as a transferred buffer. Until a worker has started (tsx
 * and the module take about a second), the training thread makes the batches itself.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { FromPrefetchWorker, ToPrefetchWorker } from './batch-prefetch-messages.ts';
import { transformsTrainingBatches } from './batch-pipeline.ts';
import { batchLabels, pipelineBatch, type TensorBatch, toBatch } from './batches.ts';
import type { DataSplit } from './types.ts';

const ENTRY = new URL('./batch-prefetch-worker.mjs', import.meta.url);

/** The most workers the default picks: four make about 1,600 images/s at 224 px, more than a fast GPU trains. */
const MAX_DEFAULT_WORKERS = 4;

function parseWorkers(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`RFTBENCH_PREFETCH_WORKERS: expected a whole number (0 = the training thread), got '${v}'`);
  return n;
}

/**
 * Prefetch workers for training batches: RFTBENCH_PREFETCH_WORKERS when set (0 = none, the training thread
 * makes its batches). Else the cores the backend leaves free: wasm runs RFTBENCH_THREADS (default every
 * core) threads, so none are free on a machine it fills (measured here on 2 cores: a worker does not speed
 * training up, README "Benchmarks"); tfjs-node (GPU or CPU) gets all but the training thread's core, the
 * pure-JS cpu backend none (its steps dwarf the batch pipeline).
 */
export function prefetchWorkers(
  env: NodeJS.ProcessEnv = process.env,
  backend: string = tf.getBackend(),
  cores: number = os.cpus().length,
): number {
  const v = env.RFTBENCH_PREFETCH_WORKERS;
  if (v !== undefined && v !== '') return parseWorkers(v);
  let free = 0;
  if (backend === 'tensorflow') free = cores - 1;
  else if (backend === 'wasm') {
    const threads = Number(env.RFTBENCH_THREADS);
    free = cores - (Number.isInteger(threads) && threads > 0 ? threads : cores);
  }
  return Math.max(0, Math.min(MAX_DEFAULT_WORKERS, free));
}

/** Shared-memory copies of split images, one per images array, so every worker (and later fit) reads one copy. */
const sharedCopies = new WeakMap<Uint8Array, Uint8Array>();

function sharedImages(images: Uint8Array): Uint8Array {
  if (images.buffer instanceof SharedArrayBuffer) return images;
  let copy = sharedCopies.get(images);
  if (!copy) {
    copy = new Uint8Array(new SharedArrayBuffer(images.byteLength));
    copy.set(images);
    sharedCopies.set(images, copy);
  }
  return copy;
}

let live = 0;

/** Prefetch worker threads running in this process (the tests check that every loop shuts its own down). */
export function livePrefetchWorkers(): number {
  return live;
}

/**
 * `p`, with the process kept alive until it settles. Idle workers are unref'd (they never keep a process alive),
 * so a caller with nothing else to do that awaited a worker's start or its terminate() left Node's event loop
 * empty, and Node exited with status 13 (an unsettled await): `rftbench bench` ended so in its pipeline section.
 */
async function heldOpen<T>(p: Promise<T>): Promise<T> {
  const hold = setInterval(() => undefined, 60_000);
  try {
    return await p;
  } finally {
    clearInterval(hold);
  }
}

class PrefetchWorker {
  private readonly worker = new Worker(ENTRY);
  private readonly waiting = new Map<number, { resolve: (p: Float32Array) => void; reject: (e: Error) => void }>();
  ready = false;
  failure?: Error;
  private exited = false;

  constructor(
    split: Extract<ToPrefetchWorker, { type: 'split' }>,
    private readonly events: { ready(): void; failed(): void },
  ) {
    live++;
    this.worker.on('message', (m: FromPrefetchWorker) => {
      if (m.type === 'ready') {
        this.ready = true;
        this.events.ready();
        return;
      }
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (m.type === 'error') w?.reject(new Error(`batch prefetch worker: ${m.message}`));
      else w?.resolve(m.pixels);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.exited) live--;
      this.exited = true;
      this.fail(new Error(`batch prefetch worker exited (code ${code})`));
    });
    this.worker.postMessage(split);
    // An idle worker never keeps the process alive; one with batches to make does (request).
    this.worker.unref();
  }

  get pending(): number {
    return this.waiting.size;
  }

  private fail(err: Error): void {
    if (!this.failure) {
      this.failure = err;
      this.events.failed();
    }
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    this.worker.unref();
  }

  request(id: number, rows: Int32Array, epoch: number): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // A copy of just these rows (a subarray would take its whole epoch order along).
      this.worker.postMessage({ type: 'batch', id, rows: rows.slice(), epoch } satisfies ToPrefetchWorker);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('batch prefetch worker closed');
    await heldOpen(this.worker.terminate());
    if (!this.exited) live--;
    this.exited = true;
  }
}

/** The training batches of one split, as a training loop takes them. */
export interface TrainingBatches {
  /** Batches `batches` (rows of the split) of `epoch`, in order: toBatch(split, rows, { epoch })'s tensors. */
  epoch(epoch: number, batches: readonly Int32Array[]): AsyncGenerator<TensorBatch>;
  /** Resolves once a worker has started (at once without workers): the batches after it are made ahead. */
  started(): Promise<void>;
  /** How many batches so far were made by workers ahead of time, and how many by the training thread. */
  readonly made: { readonly ahead: number; readonly inThread: number };
  /** Stops the workers (if any); pending batches are dropped. */
  close(): Promise<void>;
}

/** Made by the training thread, each when it is asked for (no workers, or nothing to make: as stored). */
function inThread(split: DataSplit): TrainingBatches {
  const made = { ahead: 0, inThread: 0 };
  return {
    made,
    async *epoch(epoch, batches) {
      for (const rows of batches) {
        made.inThread++;
        yield toBatch(split, rows, { epoch });
      }
    },
    started: async () => undefined,
    close: async () => undefined,
  };
}

/**
 * Made by `count` workers, up to count + 1 batches ahead of the one being trained on. An epoch's batches are
 * known when it starts, so its first batch is asked for then (the loop waits for that one alone).
 */
function prefetched(split: DataSplit, count: number): TrainingBatches {
  const pipeline = split.pipeline!;
  const init = { type: 'split', images: sharedImages(split.images), n: split.n, shape: split.shape, pipeline } as const;
  let started = false;
  let resolveStart: () => void = () => undefined;
  let rejectStart: (e: Error) => void = () => undefined;
  const starting = new Promise<void>((resolve, reject) => {
    resolveStart = resolve;
    rejectStart = reject;
  });
  starting.catch(() => undefined); // only started() hands it out
  const events = {
    ready() {
      started = true;
      resolveStart();
    },
    failed() {
      // Workers that die before any starts leave the training thread making every batch, as without them.
      const failure = workers.find((w) => w.failure)?.failure;
      if (!started && failure && workers.every((w) => w.failure)) rejectStart(failure);
    },
  };
  const workers: PrefetchWorker[] = Array.from({ length: count }, () => new PrefetchWorker(init, events));
  const depth = count + 1;
  const made = { ahead: 0, inThread: 0 };
  let nextId = 0;

  /** The started, working worker with the fewest batches to make. */
  function pick(): PrefetchWorker {
    const ok = workers.filter((w) => w.ready && !w.failure);
    if (!ok.length) throw workers.find((w) => w.failure)?.failure ?? new Error('no batch prefetch worker is running');
    return ok.reduce((a, b) => (b.pending < a.pending ? b : a));
  }

  return {
    made,
    started: () => (started ? starting : heldOpen(starting)),
    async *epoch(epoch, batches) {
      const ahead = new Map<number, { labels: Int32Array; pixels: Promise<Float32Array> }>();
      let requested = 0;
      for (let i = 0; i < batches.length; i++) {
        if (!started && requested <= i) {
          requested = i + 1;
          made.inThread++;
          yield toBatch(split, batches[i], { epoch });
          continue;
        }
        for (requested = Math.max(requested, i); requested < Math.min(batches.length, i + depth); requested++) {
          const rows = batches[requested];
          const labels = batchLabels(split, rows); // a bad row fails here, naming it, before any worker sees it
          const pixels = pick().request(nextId++, rows, epoch);
          pixels.catch(() => undefined); // awaited below, or dropped when the loop ends early
          ahead.set(requested, { labels, pixels });
        }
        const next = ahead.get(i)!;
        ahead.delete(i);
        const pixels = await next.pixels;
        made.ahead++;
        yield pipelineBatch(split, batches[i], pixels, next.labels);
      }
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

/**
 * The training batches of `split` for a training loop: made by `workers` prefetch workers when the split's
 * pipeline transforms its training batches and workers > 0, else by the calling thread. Close it when the
 * loop ends, however it ends (try/finally): that stops the workers.
 */
export function trainingBatches(split: DataSplit, { workers = prefetchWorkers() } = {}): TrainingBatches {
  if (!Number.isInteger(workers) || workers < 0)
    throw new Error(`trainingBatches: workers must be a whole number, got ${workers}`);
  return workers > 0 && transformsTrainingBatches(split) ? prefetched(split, workers) : inThread(split);
}
