/**
 * Training batches made ahead in worker threads (datasets/batch-prefetch.ts): the same bytes as the training
 * thread's toBatch for crop + flip at 32 px and random-resized-crop to a larger size, with one worker or two,
 * started or still starting; a worker's error reaches the loop; the workers stop when the loop ends, breaks
 * or throws (else this file's process would not exit); fit trains the same weights with and without them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePrefetchWorkers, prefetchWorkers, trainingBatches } from '../../datasets/batch-prefetch.ts';
import { batchIndices, toBatch } from '../../datasets/batches.ts';
import type { BatchPipeline, DataSplit } from '../../datasets/types.ts';
import { Flatten, Linear, Sequential } from '../../harness/foundation/nn/layers.ts';
import { crossEntropy } from '../../harness/foundation/nn/losses.ts';
import { PAPER_AUGMENT } from '../../harness/protocol/paper-suites.ts';
import { AugmentSchema } from '../../harness/protocol/schema.ts';
import { Rng } from '../../harness/foundation/rng.ts';
import { fit } from '../../harness/orchestration/train/fit.ts';
import { sgd } from '../../harness/orchestration/train/optimizer.ts';
import { releaseBackend, useCpuBackend } from '../support/tf.ts';

beforeAll(useCpuBackend);
afterAll(releaseBackend);

type Shape = [number, number, number];

/** n random images of `inShape` with labels 0..9, through a pipeline to `outShape` with `augment`. */
function augmentedSplit(n: number, inShape: Shape, outShape: Shape, augment: unknown, seed = 11): DataSplit {
  const rng = new Rng(seed);
  const pipeline: BatchPipeline = { inShape, outShape, seed, augment: AugmentSchema.parse(augment) };
  return {
    images: Uint8Array.from({ length: n * inShape[0] * inShape[1] * inShape[2] }, () => rng.int(256)),
    labels: Int32Array.from({ length: n }, (_, i) => i % 10),
    n,
    shape: inShape,
    pipeline,
  };
}

/** One epoch's batches of a seeded shuffle, as fit makes them. */
const shuffled = (n: number, batchSize: number, seed: number) => [
  ...batchIndices(n, { batchSize, rng: new Rng(seed), limit: n }),
];

interface Taken {
  x: Uint8Array[];
  y: Int32Array[];
  made: { ahead: number; inThread: number };
}

/** Every batch of `epochs` epochs as bytes, made with `workers` prefetch workers (after they start, if asked). */
async function take(split: DataSplit, workers: number, epochs: number, opts: { waitForStart?: boolean } = {}) {
  const taken: Taken = { x: [], y: [], made: { ahead: 0, inThread: 0 } };
  const source = trainingBatches(split, { workers });
  try {
    if (opts.waitForStart) await source.started();
    for (let epoch = 0; epoch < epochs; epoch++) {
      for await (const b of source.epoch(epoch, shuffled(split.n, 8, epoch))) {
        taken.x.push(new Uint8Array(b.x.dataSync().slice().buffer));
        taken.y.push(b.y.dataSync().slice() as Int32Array);
        tf.dispose([b.x, b.y]);
      }
    }
    taken.made = { ...source.made };
  } finally {
    await source.close();
  }
  return taken;
}

/** The same batches from toBatch in this thread: the reference. */
function reference(split: DataSplit, epochs: number) {
  const x: Uint8Array[] = [];
  const y: Int32Array[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const rows of shuffled(split.n, 8, epoch)) {
      const b = toBatch(split, rows, { epoch });
      x.push(new Uint8Array(b.x.dataSync().slice().buffer));
      y.push(b.y.dataSync().slice() as Int32Array);
      tf.dispose([b.x, b.y]);
    }
  }
  return { x, y };
}

function expectSameBytes(got: Taken, want: { x: Uint8Array[]; y: Int32Array[] }): void {
  expect(got.x.length).toBe(want.x.length);
  got.x.forEach((bytes, i) => expect(Buffer.compare(bytes, want.x[i]), `batch ${i}`).toBe(0));
  expect(got.y).toEqual(want.y);
}

describe('prefetched training batches', () => {
  const crop32 = augmentedSplit(40, [32, 32, 3], [32, 32, 3], PAPER_AUGMENT.crop32);

  it('crop + flip at 32 px: the workers make toBatch’s batches byte for byte, one worker or two, every epoch', async () => {
    const want = reference(crop32, 2);
    // The draws really change with the epoch, so equal bytes are not a constant.
    expect(Buffer.compare(want.x[0], want.x[5])).not.toBe(0);
    for (const workers of [1, 2]) {
      const got = await take(crop32, workers, 2, { waitForStart: true });
      expect(got.made).toEqual({ ahead: 10, inThread: 0 });
      expectSameBytes(got, want);
    }
    expect(livePrefetchWorkers()).toBe(0);
  });

  it('random-resized-crop from 24 px up to 56 px (a resize on the way): the same bytes', async () => {
    const rrc = augmentedSplit(24, [24, 24, 3], [56, 56, 3], PAPER_AUGMENT.resizedCrop(56));
    const want = reference(rrc, 2);
    expect(want.x[0].length).toBe(8 * 56 * 56 * 3 * 4);
    const got = await take(rrc, 1, 2, { waitForStart: true });
    expect(got.made).toEqual({ ahead: 6, inThread: 0 });
    expectSameBytes(got, want);
  });

  it('while the workers start, the training thread makes the batches: the same bytes either way', async () => {
    const got = await take(crop32, 2, 2);
    expect(got.made.ahead + got.made.inThread).toBe(10);
    expectSameBytes(got, reference(crop32, 2));
  });

  it('a split without a transform, or no workers, never starts a worker', async () => {
    const plain: DataSplit = { ...crop32, pipeline: undefined };
    const source = trainingBatches(plain, { workers: 2 });
    expect(livePrefetchWorkers()).toBe(0);
    await source.close();
    expect(() => trainingBatches(crop32, { workers: -1 })).toThrow(/workers must be a whole number, got -1/);
  });
});

describe('errors and shutdown', () => {
  const crop8 = augmentedSplit(24, [8, 8, 3], [8, 8, 3], { crop: { size: 8, padding: 2 }, flip: true });
  const fitSplit = augmentedSplit(64, [8, 8, 3], [8, 8, 3], { crop: { size: 8, padding: 2 }, flip: true });

  it('a row outside the split fails on the training thread, naming it', async () => {
    const source = trainingBatches(crop8, { workers: 1 });
    try {
      await source.started();
      const loop = async () => {
        for await (const b of source.epoch(0, [Int32Array.of(0, 1), Int32Array.of(2, 24)])) tf.dispose([b.x, b.y]);
      };
      await expect(loop()).rejects.toThrow(/index 24 outside 0\.\.23/);
    } finally {
      await source.close();
    }
    expect(livePrefetchWorkers()).toBe(0);
  });

  it("a worker's error reaches the loop with the pipeline's message", async () => {
    // Stored images that are not what the pipeline expects: toBatch throws in this thread, the worker there.
    const wrong: DataSplit = { ...crop8, pipeline: { ...crop8.pipeline!, inShape: [4, 4, 3] } };
    expect(() => toBatch(wrong, [0], { epoch: 0 })).toThrow(/the images are 8x8x3, the pipeline expects 4x4x3/);
    const source = trainingBatches(wrong, { workers: 1 });
    try {
      await source.started();
      const loop = async () => {
        for await (const b of source.epoch(0, [Int32Array.of(0, 1)])) tf.dispose([b.x, b.y]);
      };
      await expect(loop()).rejects.toThrow(/batch prefetch worker: .*the images are 8x8x3, the pipeline expects 4x4x3/);
    } finally {
      await source.close();
    }
  });

  it('the workers stop when the loop breaks, and the batches it left are dropped', async () => {
    const source = trainingBatches(crop8, { workers: 2 });
    await source.started();
    expect(livePrefetchWorkers()).toBe(2);
    try {
      for await (const b of source.epoch(0, shuffled(24, 4, 0))) {
        tf.dispose([b.x, b.y]);
        break;
      }
    } finally {
      await source.close();
    }
    expect(livePrefetchWorkers()).toBe(0);
  });

  /** A linear model fit on `train` for three epochs with `workers`; `failAt` makes the loss throw at that step. */
  let liveDuringFit = 0;
  async function fitWith(train: DataSplit, workers: number, failAt?: number): Promise<Float32Array[]> {
    const model = new Sequential(new Flatten(), new Linear(8 * 8 * 3, 10, { seed: 3 }));
    const optimizer = sgd(model, { lr: 0.05, momentum: 0.9, weightDecay: 0 });
    let steps = 0;
    try {
      await fit({
        model,
        train,
        epochs: 3,
        batchSize: 8,
        rng: new Rng(1),
        optimizer,
        lrAt: () => 0.05,
        prefetchWorkers: workers,
        onProgress: () => {
          liveDuringFit = Math.max(liveDuringFit, livePrefetchWorkers());
        },
        loss: ({ x, y }) => {
          if (++steps === failAt) throw new Error(`loss failed at step ${failAt}`);
          return crossEntropy(model.forward(x) as tf.Tensor2D, y);
        },
      });
      return model.namedParameters().map(([, p]) => p.dataSync().slice() as Float32Array);
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  }

  it('fit with a worker trains the same weights as without, and stops it when it ends or throws', async () => {
    const without = await fitWith(fitSplit, 0);
    expect(liveDuringFit).toBe(0);
    const withWorker = await fitWith(fitSplit, 1);
    expect(liveDuringFit).toBe(1);
    expect(livePrefetchWorkers()).toBe(0);
    expect(withWorker.length).toBe(without.length);
    withWorker.forEach((w, i) => expect(Buffer.compare(Buffer.from(w.buffer), Buffer.from(without[i].buffer))).toBe(0));
    await expect(fitWith(fitSplit, 1, 4)).rejects.toThrow(/loss failed at step 4/);
    expect(livePrefetchWorkers()).toBe(0);
  });
});

describe('prefetchWorkers', () => {
  it('RFTBENCH_PREFETCH_WORKERS decides when set, and a bad value names the variable', () => {
    expect(prefetchWorkers({ RFTBENCH_PREFETCH_WORKERS: '0' }, 'tensorflow', 8)).toBe(0);
    expect(prefetchWorkers({ RFTBENCH_PREFETCH_WORKERS: '3' }, 'wasm', 2)).toBe(3);
    expect(() => prefetchWorkers({ RFTBENCH_PREFETCH_WORKERS: 'two' }, 'wasm', 2)).toThrow(
      /RFTBENCH_PREFETCH_WORKERS: expected a whole number .*got 'two'/,
    );
  });

  it('by default the cores the backend leaves free: none where wasm fills them, up to 4 beside tfjs-node', () => {
    expect(prefetchWorkers({}, 'wasm', 2)).toBe(0);
    expect(prefetchWorkers({ RFTBENCH_THREADS: '4' }, 'wasm', 8)).toBe(4);
    expect(prefetchWorkers({ RFTBENCH_THREADS: '2' }, 'wasm', 4)).toBe(2);
    expect(prefetchWorkers({}, 'cpu', 8)).toBe(0);
    expect(prefetchWorkers({}, 'tensorflow', 2)).toBe(1);
    expect(prefetchWorkers({}, 'tensorflow', 32)).toBe(4);
    expect(prefetchWorkers({}, 'tensorflow', 1)).toBe(0);
  });
});
