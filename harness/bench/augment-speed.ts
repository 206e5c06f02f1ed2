/**
 * @module Images/second of the protocol's batch pipeline (datasets/batch-pipeline.ts) through toBatch, as fit
 * calls it, on batches of 128: crop + flip at 32 px and random-resized-crop to 224, beside the training step
 * each one feeds, so a reader sees whether the augmentation could hold training back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { toBatch } from '../../datasets/batches.ts';
import type { BatchPipeline, DataSplit } from '../../datasets/types.ts';
import type { ModelSpec } from '../models/classifier.ts';
import { PAPER_AUGMENT } from '../protocol/paper-suites.ts';
import { AugmentSchema } from '../protocol/schema.ts';
import { Rng } from '../rng.ts';
import { modelMacs } from '../run/model-macs.ts';
import { REFERENCE_CASE } from './saved-throughput.ts';

type Shape = [number, number, number];

export interface AugmentSpeedRow {
  transform: string;
  batch: number;
  imagesPerSecond: number;
  msPerBatch: number;
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

export async function benchAugmentation({
  time,
  batch = 128,
}: {
  time: number;
  batch?: number;
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
  const rng = new Rng(1);
  const idx = Int32Array.from({ length: batch }, (_, i) => i);
  for (const c of AUGMENT_CASES) {
    const [h, w, ch] = c.inShape;
    const images = Uint8Array.from({ length: batch * h * w * ch }, () => rng.int(256));
    const pipeline: BatchPipeline = {
      inShape: c.inShape,
      outShape: c.outShape,
      seed: 0,
      ...(c.augment ? { augment: c.augment } : {}),
    };
    const split: DataSplit = {
      images,
      labels: new Int32Array(batch),
      n: batch,
      shape: c.inShape,
      ...(c.augment ? { pipeline } : {}),
    };
    let epoch = 0;
    // A new epoch each call: new draws, as training makes them; the tensor is made and freed as in fit.
    bench.add(c.name, () => {
      const b = toBatch(split, idx, { epoch: epoch++ });
      tf.dispose([b.x, b.y]);
    });
  }
  await bench.run();
  return bench.tasks.map((t, i) => {
    const ms = t.result.state === 'completed' ? t.result.latency.mean : NaN;
    return {
      transform: t.name,
      batch,
      imagesPerSecond: (batch * 1000) / ms,
      msPerBatch: ms,
      feeds: AUGMENT_CASES[i].feeds,
    };
  });
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
