/**
 * @module Fitting a target's images to the source model's input, the same for every method: resize to the
 * task's `resize` (bilinear, antialiased when shrinking: datasets/resize.ts) and repeat a single channel
 * when the task says `channels: 'repeat'`. Whole splits are converted eagerly, which suits smoke and mini
 * scales; beyond a memory budget it refuses rather than exhaust memory. A batched augmentation pipeline
 * is to replace this one function at its one call site (run-cell.ts).
 */
import { resizeBilinear } from '../../datasets/resize.ts';
import type { DataSplit } from '../../datasets/types.ts';
import type { Task, Tier } from '../protocol/schema.ts';

/** Bytes of converted images held at once (train + evaluated test points); `RFTBENCH_RESIZE_BUDGET_MB` overrides. */
export const EAGER_RESIZE_BUDGET_BYTES = 1536 * 2 ** 20;

type Shape = readonly [number, number, number];
type TaskInput = Pick<Task, 'id' | 'resize' | 'channels' | 'corruptions'>;

function budgetBytes(): number {
  const raw = process.env.RFTBENCH_RESIZE_BUDGET_MB;
  if (raw === undefined || raw === '') return EAGER_RESIZE_BUDGET_BYTES;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0) throw new Error(`RFTBENCH_RESIZE_BUDGET_MB='${raw}' is not a positive number of megabytes`);
  return mb * 2 ** 20;
}

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

/** One image of `split`, resized (and channel-repeated) into `out` at image index `i`. */
function convertImage(split: DataSplit, i: number, outShape: Shape, out: Uint8Array): void {
  const [h, w, c] = split.shape;
  const [oh, ow, oc] = outShape;
  const pixels = h * w;
  const src = split.images.subarray(i * pixels * c, (i + 1) * pixels * c);
  // resizeBilinear works on RGB; a 1-channel image goes through as R=G=B, which resizes each channel alike.
  const rgb = c === 3 ? src : new Uint8Array(pixels * 3);
  if (c === 1) for (let p = 0; p < pixels; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = src[p];
  const resized = resizeBilinear({ width: w, height: h, data: rgb }, ow, oh).data;
  const dst = out.subarray(i * oh * ow * oc, (i + 1) * oh * ow * oc);
  if (oc === 3) dst.set(resized);
  else for (let p = 0; p < oh * ow; p++) dst[p] = resized[3 * p];
}

function convertSplit(split: DataSplit, n: number, outShape: Shape): DataSplit {
  const out = new Uint8Array(n * outShape[0] * outShape[1] * outShape[2]);
  for (let i = 0; i < n; i++) convertImage(split, i, outShape, out);
  return { images: out, labels: split.labels.slice(0, n), n, shape: outShape };
}

/**
 * The target's train split and its first `testPoints` test points (all the evaluation reads) in the
 * source's input shape. Without resize or channel rules and with matching shapes, the splits come back as
 * they are. Throws, naming the task, on a shape mismatch, a -C test set (not converted here) or a budget overrun.
 */
export function adaptTaskInputs(
  task: TaskInput,
  sourceShape: Shape,
  splits: { train: DataSplit; test: DataSplit },
  testPoints: number,
): { train: DataSplit; test: DataSplit } {
  const { train, test } = splits;
  const outShape = adaptedShape(task, train.shape, sourceShape);
  if (test.shape.some((d, k) => d !== train.shape[k])) {
    const shapes = `${train.shape.join('x')} vs ${test.shape.join('x')}`;
    throw new Error(`task ${task.id}: the target's train and test images differ in shape (${shapes})`);
  }
  if (task.resize === undefined && task.channels === undefined) return splits;
  if (task.corruptions) {
    throw new Error(
      `task ${task.id}: corruptions (${task.corruptions}) with resize or channels is not supported yet; ` +
        'the -C images would not be converted',
    );
  }
  const nTest = Math.min(testPoints, test.n);
  const bytes = (train.n + nTest) * outShape[0] * outShape[1] * outShape[2];
  const budget = budgetBytes();
  if (bytes > budget) {
    throw new Error(
      `task ${task.id}: converting ${train.n} train + ${nTest} test images to ${outShape.join('x')} needs ` +
        `${(bytes / 2 ** 20).toFixed(0)} MB, over the eager budget of ${(budget / 2 ** 20).toFixed(0)} MB ` +
        '(RFTBENCH_RESIZE_BUDGET_MB); use a smaller target split or resize, or raise the budget if memory allows',
    );
  }
  return { train: convertSplit(train, train.n, outShape), test: convertSplit(test, nTest, outShape) };
}

/** How many test points the evaluation reads: the first max(PGD's n, AutoAttack's n) (see evaluate.ts). */
export function testPointsRead(evaluation: Tier['evaluation']): number {
  return Math.max(evaluation.n, evaluation.autoattack?.n ?? 0);
}
