/**
 * @module Images/second of the protocol's batch pipeline (datasets/batch-pipeline.ts) through toBatch, as fit
 * calls it, on batches of 128: crop + flip at 32 px and random-resized-crop to 224, made in the training thread
 * and by prefetch workers (datasets/batch-prefetch.ts), beside the training step each one feeds, so a reader
 * sees whether the augmentation could hold training back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { trainingBatches } from '../../../datasets/batch-prefetch.ts';
import { toBatch } from '../../../datasets/batches.ts';
import type { BatchPipeline, DataSplit } from '../../../datasets/types.ts';
import type { ModelSpec } from '../../foundation/models/classifier.ts';
import { PAPER_AUGMENT } from '../../protocol/paper-suites.ts';
import { AugmentSchema } from '../../protocol/schema.ts';
import { Rng } from '../../foundation/rng.ts';
import { modelMacs } from '../run/model-macs.ts';
import { REFERENCE_CASE } from './saved-throughput.ts';

type Shape = [number, number, number];

/** Batches taken from prefetch workers by a loop that does nothing else: the most they can feed training. */
export interface PrefetchSpeed {
  workers: number;
  imagesPerSecond: number;
}

export interface AugmentSpeedRow {
  transform: string;
  batch: number;
  /** Made in the training thread (toBatch). */
  imagesPerSecond: number;
  msPerBatch: number;
  /** Made ahead by each number of workers asked for; empty when the batches pass through as stored. */
  prefetched: PrefetchSpeed[];
  /** The model input the batches feed, whose training step the row is compared with. */
  feeds: string;
}

/** The model a 224 px batch feeds (the TWINS protocol's ResNet-50); its step is estimated, not measured here. */
const RESNET50_224: ModelSpec = {
  arch: 'resnet50',
  numClasses: 1000,
  inputShape: [224, 224, 3],
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

interface AugmentCase {
  name: string;
  inShape: Shape;
  outShape: Shape;
  augment?: BatchPipeline['augment'];
  feeds: 'resnet18 32x32x3' | 'resnet50 224x224x3';
}

export const AUGMENT_CASES: AugmentCase[] = [
  { name: 'none (uint8 to float), 32 px', inShape: [32, 32, 3], outShape: [32, 32, 3], feeds: 'resnet18 32x32x3' },
  {
    name: 'crop 32 pad 4 + flip, 32 px',
    inShape: [32, 32, 3],
    outShape: [32, 32, 3],
    augment: AugmentSchema.parse(PAPER_AUGMENT.crop32),
    feeds: 'resnet18 32x32x3',
  },
  {
    name: 'reflect crop 32 pad 4 + flip, 32 px',
    inShape: [32, 32, 3],
    outShape: [32, 32, 3],
    augment: AugmentSchema.parse(PAPER_AUGMENT.reflectCrop32),
    feeds: 'resnet18 32x32x3',
  },
  {
    name: 'crop 32 pad 4 + flip, resized 32 to 224',
    inShape: [32, 32, 3],
    outShape: [224, 224, 3],
    augment: AugmentSchema.parse(PAPER_AUGMENT.crop32),
    feeds: 'resnet50 224x224x3',
  },
  {
    name: 'random-resized-crop 64 px to 224 + flip',
    inShape: [64, 64, 3],
    outShape: [224, 224, 3],
    augment: AugmentSchema.parse(PAPER_AUGMENT.resizedCrop(224)),
    feeds: 'resnet50 224x224x3',
  },
];

/** The split a case's batches come from: `batch` seeded random images through the case's pipeline. */
function caseSplit(c: AugmentCase, batch: number): DataSplit {
  const rng = new Rng(1);
  const [h, w, ch] = c.inShape;
  const images = Uint8Array.from({ length: batch * h * w * ch }, () => rng.int(256));
  const pipeline: BatchPipeline = {
    inShape: c.inShape,
    outShape: c.outShape,
    seed: 0,
    ...(c.augment ? { augment: c.augment } : {}),
  };
  return { images, labels: new Int32Array(batch), n: batch, shape: c.inShape, ...(c.augment ? { pipeline } : {}) };
}

/**
 * Images/s of batches taken from `workers` prefetch workers for about `time` ms once they have started and
 * filled up (the first batches are left out), tensors made and freed as fit does.
 */
async function prefetchSpeed(split: DataSplit, workers: number, time: number): Promise<number> {
  const source = trainingBatches(split, { workers });
  const rows = Int32Array.from({ length: split.n }, (_, i) => i);
  try {
    await source.started();
    const warmUp = workers + 1; // batches taken while the pipeline fills, left out of the timing
    let t0 = 0;
    let taken = 0;
    // One long epoch of the same rows: the work per batch is a real one, and the stream stays full.
    const stream = Array.from({ length: 10_000 }, () => rows);
    for await (const b of source.epoch(0, stream)) {
      tf.dispose([b.x, b.y]);
      if (++taken === warmUp) t0 = performance.now();
      if (taken >= warmUp + 3 && performance.now() - t0 >= time) break;
    }
    return ((taken - warmUp) * split.n * 1000) / (performance.now() - t0);
  } finally {
    await source.close();
  }
}

export async function benchAugmentation({
  time,
  batch = 128,
  prefetchWorkers = [1, 2],
}: {
  time: number;
  batch?: number;
  /** The worker counts of the prefetched columns. */
  prefetchWorkers?: readonly number[];
}): Promise<AugmentSpeedRow[]> {
  const bench = new Bench({
    name: 'augmentation',
    time,
    warmup: true,
    warmupIterations: 1,
    warmupTime: 0,
    iterations: 3,
    throws: true,
  });
  const idx = Int32Array.from({ length: batch }, (_, i) => i);
  const splits = AUGMENT_CASES.map((c) => caseSplit(c, batch));
  for (const [i, c] of AUGMENT_CASES.entries()) {
    const split = splits[i];
    let epoch = 0;
    // A new epoch each call: new draws, as training makes them; the tensor is made and freed as in fit.
    bench.add(c.name, () => {
      const b = toBatch(split, idx, { epoch: epoch++ });
      tf.dispose([b.x, b.y]);
    });
  }
  await bench.run();
  const rows: AugmentSpeedRow[] = [];
  for (const [i, t] of bench.tasks.entries()) {
    const ms = t.result.state === 'completed' ? t.result.latency.mean : NaN;
    const prefetched: PrefetchSpeed[] = [];
    if (AUGMENT_CASES[i].augment)
      for (const workers of prefetchWorkers)
        prefetched.push({ workers, imagesPerSecond: await prefetchSpeed(splits[i], workers, time) });
    rows.push({
      transform: t.name,
      batch,
      imagesPerSecond: (batch * 1000) / ms,
      msPerBatch: ms,
      prefetched,
      feeds: AUGMENT_CASES[i].feeds,
    });
  }
  return rows;
}

/**
 * The training-step images/s each row's batches feed: ResNet-18 at 32 px as measured (`resnet18PerSecond`),
 * ResNet-50 at 224 px carried over from it by multiply-adds (an estimate, as `run --estimate` makes them).
 */
export function trainingStepFor(rows: readonly AugmentSpeedRow[], resnet18PerSecond: number): Map<string, number> {
  const ratio = modelMacs(REFERENCE_CASE.spec).macs / modelMacs(RESNET50_224).macs;
  const out = new Map<string, number>();
  for (const r of rows)
    out.set(r.feeds, r.feeds.startsWith('resnet18') ? resnet18PerSecond : resnet18PerSecond * ratio);
  return out;
}
