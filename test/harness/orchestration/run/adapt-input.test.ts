/**
 * Fitting target images to the source's input: the task's resize, channel repeat and augmentation become the
 * splits' batch pipeline (the splits stay at their native size), the shape checks, and the augmentation's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBatch } from '../../../../datasets/batches.ts';
import { resizeBilinear } from '../../../../datasets/resize.ts';
import type { DataSplit } from '../../../../datasets/types.ts';
import { AugmentSchema } from '../../../../harness/protocol/schema.ts';
import { adaptTaskInputs } from '../../../../harness/orchestration/run/adapt-input.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';

beforeAll(() => useBackend('cpu'));
afterAll(() => releaseBackend());

function split(n: number, shape: [number, number, number], seed: number): DataSplit {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * shape[0] * shape[1] * shape[2]).map(() => Math.floor(rng.next() * 256));
  return { images, labels: Int32Array.from({ length: n }, (_, i) => i % 3), n, shape };
}

const gray = { train: split(6, [8, 8, 1], 1), test: split(5, [8, 8, 1], 2) };
const task = { id: 'toy/linf-8' };
const crop8 = AugmentSchema.parse({ crop: { size: 8, padding: 2 }, flip: true });

describe('adaptTaskInputs', () => {
  it('returns the splits as they are when the task has no input rules and the shapes match', () => {
    const out = adaptTaskInputs(task, [8, 8, 1], gray, 0);
    expect(out.train).toBe(gray.train);
    expect(out.test).toBe(gray.test);
  });

  it('keeps the images at their size and resizes + repeats the channel batch by batch, as resize.ts would', () => {
    const out = adaptTaskInputs({ ...task, resize: 20, channels: 'repeat' }, [20, 20, 3], gray, 0);
    expect(out.train.images).toBe(gray.train.images); // no converted copy of the split
    expect(out.train.pipeline).toEqual({ inShape: [8, 8, 1], outShape: [20, 20, 3], seed: 0 });
    expect(out.test.pipeline).toEqual(out.train.pipeline);
    for (const [name, s] of [
      ['train', out.train],
      ['test', out.test],
    ] as const) {
      const { x, y } = toBatch(s, [0, 2]);
      try {
        expect(x.shape, name).toEqual([2, 20, 20, 3]);
        const px = x.dataSync();
        for (const [row, i] of [
          [0, 0],
          [1, 2],
        ]) {
          const src = gray[name].images.subarray(i * 64, (i + 1) * 64);
          const rgb = new Uint8Array(64 * 3).map((_, k) => src[Math.floor(k / 3)]);
          const expected = resizeBilinear({ width: 8, height: 8, data: rgb }, 20, 20).data;
          expect(Array.from(px.subarray(row * 1200, (row + 1) * 1200), (v) => Math.round(v * 255))).toEqual([
            ...expected,
          ]);
        }
      } finally {
        tf.dispose([x, y]);
      }
    }
  });

  it('gives the train split the augmentation with the cell seed, and the test split none', () => {
    const out = adaptTaskInputs({ ...task, augment: crop8 }, [8, 8, 1], gray, 3);
    expect(out.train.pipeline).toEqual({ inShape: [8, 8, 1], outShape: [8, 8, 1], seed: 3, augment: crop8 });
    expect(out.test).toBe(gray.test); // nothing to resize: evaluation batches pass through
    const resized = adaptTaskInputs({ ...task, resize: 16, augment: crop8 }, [16, 16, 1], gray, 3);
    expect(resized.test.pipeline).toEqual({ inShape: [8, 8, 1], outShape: [16, 16, 1], seed: 3 });
  });

  it('names the task field that fixes a shape mismatch', () => {
    expect(() => adaptTaskInputs(task, [32, 32, 3], gray, 0)).toThrow(
      /task toy\/linf-8: the target's images are 8x8x1, the source model takes 32x32x3; the task needs resize: 32 and channels: 'repeat'/,
    );
    expect(() => adaptTaskInputs({ ...task, resize: 24 }, [32, 32, 1], gray, 0)).toThrow(
      /24x24x1 after its input rules \(8x8x1 as loaded\).*needs resize: 32/,
    );
    const rgb = { train: split(2, [8, 8, 3], 3), test: split(2, [8, 8, 3], 4) };
    expect(() => adaptTaskInputs({ ...task, channels: 'repeat' }, [8, 8, 3], rgb, 0)).toThrow(
      /channels 'repeat' turns a 1-channel target into 3 channels; the target has 3/,
    );
  });

  it('refuses an augmentation that does not fit the images, naming the field', () => {
    const aug = (a: unknown) => ({ ...task, augment: AugmentSchema.parse(a) });
    expect(() => adaptTaskInputs(aug({ crop: { size: 6, padding: 0 } }), [8, 8, 1], gray, 0)).toThrow(
      /task toy\/linf-8: augment.crop.size 6 differs from the images' 8x8; crop 8 or give the task a resize/,
    );
    expect(() => adaptTaskInputs(aug({ crop: { size: 16, padding: 2 } }), [8, 8, 1], gray, 0)).toThrow(
      /augment.crop.size 16 is larger than the padded image/,
    );
    expect(() => adaptTaskInputs(aug({ crop: { size: 8, padding: 8, mode: 'reflect' } }), [8, 8, 1], gray, 0)).toThrow(
      /augment.crop.padding 8: reflect padding must be smaller/,
    );
    expect(() =>
      adaptTaskInputs({ ...aug({ randomResizedCrop: { size: 8 } }), resize: 16 }, [16, 16, 1], gray, 0),
    ).toThrow(/augment.randomResizedCrop.size 8 must be the model's input size 16x16/);
    // A crop of another size is fine when the task resizes it to the model's input.
    expect(
      adaptTaskInputs({ ...aug({ crop: { size: 6, padding: 0 } }), resize: 16 }, [16, 16, 1], gray, 0).train.pipeline!
        .outShape,
    ).toEqual([16, 16, 1]);
  });
});
