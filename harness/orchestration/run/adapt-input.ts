/**
 * @module Fitting a target's images to the source model's input, the same for every method: the task's
 * resize (bilinear, antialiased when shrinking), channel rule and augmentation become the splits' batch
 * pipeline (datasets/batch-pipeline.ts), applied batch by batch on the way into the model. The splits stay
 * at their native size in memory, so the size of a resized split no longer limits a task.
 */
import type { BatchPipeline, DataSplit } from '../../../datasets/types.ts';
import type { Task } from '../../protocol/schema.ts';

type Shape = readonly [number, number, number];
type TaskInput = Pick<Task, 'id' | 'resize' | 'channels' | 'augment'>;

/** The shape the task's images take after its resize and channel rule; throws naming the task field to fix. */
export function adaptedShape(task: TaskInput, target: Shape, source: Shape): Shape {
  const [h, w, c] = target;
  const size = task.resize;
  if (task.channels === 'repeat' && !(c === 1 && source[2] === 3)) {
    throw new Error(
      `task ${task.id}: channels 'repeat' turns a 1-channel target into 3 channels; ` +
        `the target has ${c} and the source takes ${source[2]}`,
    );
  }
  const out: Shape = [size ?? h, size ?? w, task.channels === 'repeat' ? 3 : c];
  if (out[0] !== source[0] || out[1] !== source[1] || out[2] !== source[2]) {
    const square = source[0] === source[1] ? `resize: ${source[0]}` : 'a square source input (resize makes N x N)';
    const hints = [
      out[0] !== source[0] || out[1] !== source[1] ? square : '',
      out[2] !== source[2] ? (c === 1 && source[2] === 3 ? "channels: 'repeat'" : `a ${source[2]}-channel target`) : '',
    ].filter(Boolean);
    const rules = size || task.channels ? ` after its input rules (${target.join('x')} as loaded)` : '';
    throw new Error(
      `task ${task.id}: the target's images are ${out.join('x')}${rules}, ` +
        `the source model takes ${source.join('x')}; the task needs ${hints.join(' and ')}`,
    );
  }
  return out;
}

/**
 * The augmentation must give training batches of the evaluation batches' size: a crop is resized only
 * under the task's `resize`, and a random-resized-crop's size is the model's. Throws naming the field.
 */
function checkAugment(task: TaskInput, target: Shape, out: Shape): void {
  const a = task.augment;
  if (!a) return;
  const [h, w] = target;
  const at = `task ${task.id}: augment`;
  if (a.crop) {
    const { size, padding, mode } = a.crop;
    if (size > h + 2 * padding || size > w + 2 * padding) {
      throw new Error(`${at}.crop.size ${size} is larger than the padded image (${h}x${w} padded by ${padding})`);
    }
    if (mode === 'reflect' && (padding >= h || padding >= w)) {
      throw new Error(`${at}.crop.padding ${padding}: reflect padding must be smaller than the image (${h}x${w})`);
    }
    if (task.resize === undefined && (size !== h || size !== w)) {
      throw new Error(
        `${at}.crop.size ${size} differs from the images' ${h}x${w}; crop ${h} or give the task a resize`,
      );
    }
  }
  if (a.randomResizedCrop && (a.randomResizedCrop.size !== out[0] || a.randomResizedCrop.size !== out[1])) {
    throw new Error(
      `${at}.randomResizedCrop.size ${a.randomResizedCrop.size} must be the model's input size ${out[0]}x${out[1]}`,
    );
  }
}

/**
 * The target's splits with the task's pipeline: `train` resized and augmented (per seed, epoch and example),
 * `test` resized only. Without input rules and with matching shapes they come back as they are. Throws,
 * naming the task and field, on a shape mismatch or an augmentation that does not fit the images.
 */
export function adaptTaskInputs(
  task: TaskInput,
  sourceShape: Shape,
  splits: { train: DataSplit; test: DataSplit },
  seed: number,
): { train: DataSplit; test: DataSplit } {
  const { train, test } = splits;
  const outShape = adaptedShape(task, train.shape, sourceShape);
  if (test.shape.some((d, k) => d !== train.shape[k])) {
    const shapes = `${train.shape.join('x')} vs ${test.shape.join('x')}`;
    throw new Error(`task ${task.id}: the target's train and test images differ in shape (${shapes})`);
  }
  checkAugment(task, train.shape, outShape);
  if (task.resize === undefined && task.channels === undefined && task.augment === undefined) return splits;
  const resizes = outShape.some((d, k) => d !== train.shape[k]);
  const evaluation: BatchPipeline = { inShape: train.shape, outShape, seed };
  return {
    train: { ...train, pipeline: task.augment ? { ...evaluation, augment: task.augment } : evaluation },
    test: resizes ? { ...test, pipeline: evaluation } : test,
  };
}
