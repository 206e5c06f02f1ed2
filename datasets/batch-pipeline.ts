/**
 * @module The protocol's input pipeline, applied per batch (toBatch): a training batch's examples are
 * cropped (random crop with padding, or random-resized-crop) and flipped as the task's `augment` says, then
 * every batch is resized to the model's input (and a 1-channel image repeated into 3 channels). Splits stay
 * at their native size in memory, so CIFAR at 224 px costs one batch at a time, not 7.5 GB.
 *
 * Example i's draws in epoch e come from (cell seed, e, id of i) alone, not from a method's generator or
 * the batch order: every method of a task sees the same crops, every epoch other ones, and a resumed fit
 * the same ones as an uninterrupted one; prefetch workers (batch-prefetch.ts) make the same bytes with this code.
 */
import type { Augment } from '../harness/protocol/schema.ts';
import { Rng } from '../harness/foundation/rng.ts';
import { resampleBatch, type ExampleView } from './resample.ts';
import type { BatchPipeline, DataSplit } from './types.ts';

type Shape = readonly [number, number, number];

/** `split` with `pipeline` (undefined: the split as it is). */
export function withPipeline(split: DataSplit, pipeline: BatchPipeline | undefined): DataSplit {
  if (!pipeline) return split;
  if (split.shape.some((d, k) => d !== pipeline.inShape[k])) {
    throw new Error(
      `batch pipeline: the images are ${split.shape.join('x')}, the pipeline expects ${pipeline.inShape.join('x')}`,
    );
  }
  return { ...split, pipeline };
}

/** Whether training batches of `split` are augmented by the protocol (methods leave theirs out then). */
export function protocolAugments(split: DataSplit): boolean {
  return split.pipeline?.augment !== undefined;
}

/** The pipeline of rows `rows` of a split, each row keeping its example's id (so its augmentation). */
export function subsetPipeline(
  pipeline: BatchPipeline | undefined,
  rows: ArrayLike<number>,
): BatchPipeline | undefined {
  if (!pipeline) return undefined;
  const ids = Int32Array.from(rows, (r) => pipeline.ids?.[r] ?? r);
  return { ...pipeline, ids };
}

/** The shape of the batches toBatch makes of `split`. */
export function batchShape(split: DataSplit): Shape {
  return split.pipeline?.outShape ?? split.shape;
}

/** A random part of the image as torchvision's RandomResizedCrop draws it (10 tries, then a centred crop). */
function randomResizedRegion(h: number, w: number, o: NonNullable<Augment['randomResizedCrop']>, rng: Rng) {
  const area = h * w;
  const [logLo, logHi] = [Math.log(o.ratio[0]), Math.log(o.ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (o.scale[0] + (o.scale[1] - o.scale[0]) * rng.next());
    const aspect = Math.exp(logLo + (logHi - logLo) * rng.next());
    const width = Math.round(Math.sqrt(target * aspect));
    const height = Math.round(Math.sqrt(target / aspect));
    if (width > 0 && height > 0 && width <= w && height <= h) {
      return { top: rng.int(h - height + 1), left: rng.int(w - width + 1), height, width };
    }
  }
  const ratio = w / h;
  const width = ratio > o.ratio[1] ? Math.round(h * o.ratio[1]) : w;
  const height = ratio < o.ratio[0] ? Math.round(w / o.ratio[0]) : h;
  return { top: Math.floor((h - height) / 2), left: Math.floor((w - width) / 2), height, width };
}

/** One example's view in one epoch: the crop (or the whole image) and the flip, from its own stream. */
export function augmentView(augment: Augment, shape: Shape, rng: Rng): ExampleView {
  const [h, w] = shape;
  let region = { top: 0, left: 0, height: h, width: w };
  let pad: ExampleView['pad'] = 'zero';
  if (augment.crop) {
    const { size, padding } = augment.crop;
    region = {
      top: rng.int(h + 2 * padding - size + 1) - padding,
      left: rng.int(w + 2 * padding - size + 1) - padding,
      height: size,
      width: size,
    };
    pad = augment.crop.mode;
  } else if (augment.randomResizedCrop) {
    region = randomResizedRegion(h, w, augment.randomResizedCrop, rng);
  }
  return { ...region, flip: augment.flip === true && rng.next() < 0.5, pad };
}

/** The stream of example `id`'s draws in `epoch` under `seed`. */
export function exampleRng(seed: number, epoch: number, id: number): Rng {
  return new Rng(seed).fork('augment').fork(`epoch-${epoch}`).fork(`example-${id}`);
}

/** Whether rows of `split` go through as stored (no resize, channel rule or augmentation for this batch). */
function passesThrough(pipeline: BatchPipeline, epoch: number | undefined): boolean {
  const same = pipeline.outShape.every((d, k) => d === pipeline.inShape[k]);
  return same && (epoch === undefined || pipeline.augment === undefined);
}

/** Whether training batches of `split` are transformed (resized or augmented), so worth making off the thread. */
export function transformsTrainingBatches(split: DataSplit): boolean {
  return split.pipeline !== undefined && !passesThrough(split.pipeline, 0);
}

/**
 * Rows `rows` of a split with a pipeline as float32 NHWC model input; `epoch` given: a training batch
 * (augmented), else an evaluation batch (resized only). Undefined when the rows pass through as stored.
 */
export function pipelinePixels(split: DataSplit, rows: ArrayLike<number>, epoch?: number): Float32Array | undefined {
  const p = split.pipeline;
  if (!p || passesThrough(p, epoch)) return undefined;
  if (split.shape.some((d, k) => d !== p.inShape[k])) {
    throw new Error(
      `batch pipeline: the images are ${split.shape.join('x')}, the pipeline expects ${p.inShape.join('x')}`,
    );
  }
  const [h, w] = split.shape;
  const whole: ExampleView = { top: 0, left: 0, height: h, width: w, flip: false, pad: 'zero' };
  const augment = epoch === undefined ? undefined : p.augment;
  const views = Array.from({ length: rows.length }, (_, i) =>
    augment ? augmentView(augment, split.shape, exampleRng(p.seed, epoch!, p.ids?.[rows[i]] ?? rows[i])) : whole,
  );
  return resampleBatch(split, rows, views, p.outShape);
}
