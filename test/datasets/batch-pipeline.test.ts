/**
 * The protocol's batch pipeline: crops with zero and reflect padding, flips and resizes against pixels worked
 * out by hand and against datasets/resize.ts; the augmentation's draws depend on (seed, epoch, example) only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBatch } from '../../datasets/batches.ts';
import { augmentView, exampleRng, pipelinePixels, subsetPipeline } from '../../datasets/batch-pipeline.ts';
import { resampleBatch, type ExampleView } from '../../datasets/resample.ts';
import { crop, resizeBilinear } from '../../datasets/resize.ts';
import type { BatchPipeline, DataSplit } from '../../datasets/types.ts';
import { AugmentSchema } from '../../harness/protocol/schema.ts';
import { Rng } from '../../harness/foundation/rng.ts';
import { subset } from '../../methods/rift/holdout.ts';
import { releaseBackend, useBackend } from '../support/tf.ts';

beforeAll(() => useBackend('cpu'));
afterAll(() => releaseBackend());

/** A 1-channel 4x4 image with pixel (r, c) = 10 r + c + 1, so every position is recognisable. */
const gray4: DataSplit = {
  images: Uint8Array.from({ length: 16 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4) + 1),
  labels: Int32Array.of(0),
  n: 1,
  shape: [4, 4, 1],
};

/** The batch's pixels back on the uint8 grid, one row of the image per array. */
function rows(pixels: Float32Array, h: number, w: number, c = 1): number[][] {
  return Array.from({ length: h }, (_, r) =>
    Array.from(pixels.subarray(r * w * c, (r + 1) * w * c), (v) => Math.round(v * 255)),
  );
}

const view = (v: Partial<ExampleView>): ExampleView => ({
  top: 0,
  left: 0,
  height: 4,
  width: 4,
  flip: false,
  pad: 'zero',
  ...v,
});

function randomSplit(n: number, shape: [number, number, number], seed: number): DataSplit {
  const rng = new Rng(seed);
  return {
    images: Uint8Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.int(256)),
    labels: new Int32Array(n),
    n,
    shape,
  };
}

describe('resampleBatch', () => {
  it('crops into zero padding: the padded rows and columns are black', () => {
    const out = resampleBatch(gray4, [0], [view({ top: -1, left: 2 })], [4, 4, 1]);
    expect(rows(out, 4, 4)).toEqual([
      [0, 0, 0, 0],
      [3, 4, 0, 0],
      [13, 14, 0, 0],
      [23, 24, 0, 0],
    ]);
  });

  it("crops into reflect padding: PyTorch's reflect, which mirrors around the edge pixel without repeating it", () => {
    // Rows -2..1 are rows 2, 1, 0, 1; columns 1..4 are 1, 2, 3, 2.
    const out = resampleBatch(gray4, [0], [view({ top: -2, left: 1, pad: 'reflect' })], [4, 4, 1]);
    expect(rows(out, 4, 4)).toEqual([
      [22, 23, 24, 23],
      [12, 13, 14, 13],
      [2, 3, 4, 3],
      [12, 13, 14, 13],
    ]);
  });

  it('flips left to right after the crop', () => {
    const out = resampleBatch(gray4, [0], [view({ left: -1, flip: true })], [4, 4, 1]);
    expect(rows(out, 4, 4)[1]).toEqual([13, 12, 11, 0]);
  });

  it('resizes with half-pixel centres, clamped at the edges, rounded to the uint8 grid', () => {
    // 2 -> 4 px: outputs sit at source positions -0.25, 0.25, 0.75, 1.25 (pixel centres at 0 and 1).
    const two: DataSplit = { images: Uint8Array.of(0, 255), labels: Int32Array.of(0), n: 1, shape: [1, 2, 1] };
    const out = resampleBatch(
      two,
      [0],
      [{ top: 0, left: 0, height: 1, width: 2, flip: false, pad: 'zero' }],
      [1, 4, 1],
    );
    expect(rows(out, 1, 4)).toEqual([[0, 64, 191, 255]]); // 0.25 * 255 = 63.75, 0.75 * 255 = 191.25
  });

  it('resizes an RGB image exactly as resize.ts resizeBilinear does, up and down, and repeats one channel into three', () => {
    const rgb = randomSplit(2, [8, 6, 3], 1);
    for (const [oh, ow] of [
      [20, 15],
      [3, 5],
      [8, 6],
    ] as const) {
      const out = resampleBatch(
        rgb,
        [1],
        [{ top: 0, left: 0, height: 8, width: 6, flip: false, pad: 'zero' }],
        [oh, ow, 3],
      );
      const ref = resizeBilinear({ width: 6, height: 8, data: rgb.images.subarray(144, 288) }, ow, oh).data;
      expect(Array.from(out, (v) => Math.round(v * 255))).toEqual([...ref]);
      expect(Array.from(out)).toEqual(Array.from(ref, (v) => Math.fround(v / 255)));
    }
    const gray = randomSplit(1, [5, 5, 1], 2);
    const out = resampleBatch(
      gray,
      [0],
      [{ top: 0, left: 0, height: 5, width: 5, flip: false, pad: 'zero' }],
      [9, 9, 3],
    );
    const tripled = Uint8Array.from({ length: 75 }, (_, i) => gray.images[Math.floor(i / 3)]);
    const ref = resizeBilinear({ width: 5, height: 5, data: tripled }, 9, 9).data;
    expect(Array.from(out, (v) => Math.round(v * 255))).toEqual([...ref]);
  });

  it('a crop then a resize in one pass equals cropping the padded image and resizing the crop with resize.ts', () => {
    const img = randomSplit(1, [6, 6, 3], 3);
    const pad = 2;
    const padded = new Uint8Array(10 * 10 * 3);
    for (let r = 0; r < 6; r++) padded.set(img.images.subarray(r * 18, (r + 1) * 18), ((r + pad) * 10 + pad) * 3);
    const region = crop({ width: 10, height: 10, data: padded }, 1, 3, 6, 8); // columns 1..6, rows 3..8 (padded coordinates)
    const ref = resizeBilinear(region, 13, 13).data;
    const out = resampleBatch(
      img,
      [0],
      [{ top: 3 - pad, left: 1 - pad, height: 6, width: 6, flip: false, pad: 'zero' }],
      [13, 13, 3],
    );
    expect(Array.from(out, (v) => Math.round(v * 255))).toEqual([...ref]);
  });

  it('any view (padding either way, flip, up or down, 1 or 3 channels) equals pad, crop, resize.ts, mirror done apart', () => {
    /** The image padded by `p` on every side, as zero or PyTorch's reflect padding fills it, as 3-channel RGB. */
    function padded(img: Uint8Array, h: number, w: number, c: number, p: number, mode: 'zero' | 'reflect') {
      const mirror = (j: number, n: number) => (j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j);
      const data = new Uint8Array((h + 2 * p) * (w + 2 * p) * 3);
      for (let y = -p; y < h + p; y++)
        for (let x = -p; x < w + p; x++) {
          const inside = y >= 0 && y < h && x >= 0 && x < w;
          if (!inside && mode === 'zero') continue;
          for (let ch = 0; ch < 3; ch++)
            data[((y + p) * (w + 2 * p) + x + p) * 3 + ch] =
              img[(mirror(y, h) * w + mirror(x, w)) * c + (c === 1 ? 0 : ch)];
        }
      return { width: w + 2 * p, height: h + 2 * p, data };
    }
    const rng = new Rng(9);
    for (let trial = 0; trial < 60; trial++) {
      const c = trial % 4 === 0 ? 1 : 3;
      const [h, w] = [3 + rng.int(10), 3 + rng.int(10)];
      const img = randomSplit(1, [h, w, c], 100 + trial);
      const p = rng.int(3); // reflect padding mirrors once, so it stays below the side
      const pad = rng.next() < 0.5 ? 'zero' : 'reflect';
      const height = 1 + rng.int(h + 2 * p);
      const width = 1 + rng.int(w + 2 * p);
      const v: ExampleView = {
        top: rng.int(h + 2 * p - height + 1) - p,
        left: rng.int(w + 2 * p - width + 1) - p,
        height,
        width,
        flip: rng.next() < 0.5,
        pad,
      };
      // Half the trials keep the region's size (a gather), the others resize it up or down.
      const [oh, ow] = trial % 2 === 0 ? [height, width] : [1 + rng.int(16), 1 + rng.int(16)];
      const region = crop(
        padded(img.images, h, w, c, p, pad),
        v.left + p,
        v.top + p,
        v.left + p + width - 1,
        v.top + p + height - 1,
      );
      const ref = resizeBilinear(region, ow, oh).data;
      const out = resampleBatch(img, [0], [v], [oh, ow, 3]);
      const got = Array.from(out, (x) => Math.round(x * 255));
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++)
          for (let ch = 0; ch < 3; ch++) {
            const want = ref[(y * ow + (v.flip ? ow - 1 - x : x)) * 3 + ch];
            expect(got[(y * ow + x) * 3 + ch], `trial ${trial} (${y}, ${x}, ${ch})`).toBe(want);
          }
      expect(Array.from(out)).toEqual(got.map((g) => Math.fround(g / 255)));
    }
  });
});

describe('the augmentation draws', () => {
  const pipeline = (augment: unknown, outShape: [number, number, number] = [8, 8, 3]): BatchPipeline => ({
    inShape: [8, 8, 3],
    outShape,
    seed: 7,
    augment: AugmentSchema.parse(augment),
  });
  const crop8 = { crop: { size: 8, padding: 2 }, flip: true };
  const split = (p: BatchPipeline): DataSplit => ({ ...randomSplit(6, [8, 8, 3], 4), pipeline: p });

  it('depend on (seed, epoch, example) only: any batch order, any method, the same crops; another epoch, others', () => {
    const s = split(pipeline(crop8));
    const all = pipelinePixels(s, [0, 1, 2, 3, 4, 5], 0)!;
    const per = 8 * 8 * 3;
    const reversed = pipelinePixels(s, [5, 4, 3, 2, 1, 0], 0)!;
    for (let i = 0; i < 6; i++)
      expect(reversed.subarray((5 - i) * per, (6 - i) * per)).toEqual(all.subarray(i * per, (i + 1) * per));
    expect(pipelinePixels(s, [0, 1, 2, 3, 4, 5], 0)).toEqual(all);
    const next = pipelinePixels(s, [0, 1, 2, 3, 4, 5], 1)!;
    expect(next).not.toEqual(all);
    // Another seed: other draws.
    expect(pipelinePixels({ ...s, pipeline: { ...s.pipeline!, seed: 8 } }, [0, 1, 2, 3, 4, 5], 0)).not.toEqual(all);
    // Without an epoch (evaluation) the images pass through untouched.
    expect(pipelinePixels(s, [0, 1], undefined)).toBeUndefined();
  });

  it('follow an example into a subset (RiFT trains on what its held-out set leaves)', () => {
    const s = split(pipeline(crop8));
    const part = subset(s, [4, 1]);
    expect(part.pipeline!.ids).toEqual(Int32Array.of(4, 1));
    const per = 8 * 8 * 3;
    const whole = pipelinePixels(s, [1, 4], 3)!;
    const fromPart = pipelinePixels(part, [1, 0], 3)!;
    expect(fromPart).toEqual(whole);
    expect(subsetPipeline(part.pipeline, [1])!.ids).toEqual(Int32Array.of(1));
    expect(whole.length).toBe(2 * per);
  });

  it('crop within the padding and flip about half the examples', () => {
    const aug = AugmentSchema.parse({ crop: { size: 32, padding: 4, mode: 'reflect' }, flip: true });
    let flips = 0;
    const tops = new Set<number>();
    for (let id = 0; id < 400; id++) {
      const v = augmentView(aug, [32, 32, 3], exampleRng(0, 0, id));
      expect(v.top).toBeGreaterThanOrEqual(-4);
      expect(v.top).toBeLessThanOrEqual(4);
      expect(v.left).toBeGreaterThanOrEqual(-4);
      expect([v.height, v.width, v.pad]).toEqual([32, 32, 'reflect']);
      tops.add(v.top);
      if (v.flip) flips++;
    }
    expect(tops.size).toBe(9);
    expect(flips).toBeGreaterThan(160);
    expect(flips).toBeLessThan(240);
  });

  it('random-resized-crop: a region inside the image with the area and aspect ratio asked for', () => {
    const aug = AugmentSchema.parse({ randomResizedCrop: { size: 224, scale: [0.25, 0.5], ratio: [0.5, 2] } });
    for (let id = 0; id < 200; id++) {
      const v = augmentView(aug, [64, 64, 3], exampleRng(1, 2, id));
      expect(v.top).toBeGreaterThanOrEqual(0);
      expect(v.left).toBeGreaterThanOrEqual(0);
      expect(v.top + v.height).toBeLessThanOrEqual(64);
      expect(v.left + v.width).toBeLessThanOrEqual(64);
      const area = (v.height * v.width) / 4096;
      expect(area).toBeGreaterThan(0.2); // 0.25-0.5, up to rounding of the sides
      expect(area).toBeLessThan(0.56);
      expect(v.flip).toBe(false);
    }
    // No region fits (scale 1 at ratio 4): the centred crop of the widest allowed ratio.
    const wide = AugmentSchema.parse({ randomResizedCrop: { size: 8, scale: [1, 1], ratio: [4, 4] } });
    expect(augmentView(wide, [16, 16, 3], exampleRng(0, 0, 0))).toMatchObject({
      top: 6,
      left: 0,
      height: 4,
      width: 16,
    });
  });

  it('toBatch makes training batches at the model size and evaluation batches resized only', () => {
    const s = split(pipeline({ randomResizedCrop: { size: 12 }, flip: true }, [12, 12, 3]));
    const train = toBatch(s, [0, 1, 2], { epoch: 0 });
    const evalBatch = toBatch(s, [0, 1, 2]);
    try {
      expect(train.x.shape).toEqual([3, 12, 12, 3]);
      expect(evalBatch.x.shape).toEqual([3, 12, 12, 3]);
      const ref = resizeBilinear({ width: 8, height: 8, data: s.images.subarray(0, 192) }, 12, 12).data;
      expect(Array.from(evalBatch.x.dataSync().subarray(0, 432), (v) => Math.round(v * 255))).toEqual([...ref]);
      expect(train.x.dataSync()).not.toEqual(evalBatch.x.dataSync());
    } finally {
      tf.dispose([train.x, train.y, evalBatch.x, evalBatch.y]);
    }
  });

  it('the schema refuses a crop beside a random-resized-crop, an empty augmentation and reversed ranges, naming the field', () => {
    const issues = (v: unknown) =>
      AugmentSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ crop: { size: 8, padding: 1 }, randomResizedCrop: { size: 8 } })).toEqual([
      'randomResizedCrop: give crop or randomResizedCrop, not both',
    ]);
    expect(issues({})[0]).toMatch(/needs crop, randomResizedCrop or flip/);
    expect(issues({ randomResizedCrop: { size: 8, scale: [0.9, 0.1] } })[0]).toMatch(
      /^randomResizedCrop.scale: must be \[min, max\]/,
    );
    expect(issues({ crop: { size: 8, padding: 1, mode: 'edge' } })[0]).toMatch(/^crop.mode/);
    expect(AugmentSchema.parse({ crop: { size: 8, padding: 1 } }).crop!.mode).toBe('zero');
  });
});
