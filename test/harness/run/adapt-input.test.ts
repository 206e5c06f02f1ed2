/** Fitting target images to the source's input: resize, channel repeat, the shape checks and the memory budget. */
import { afterEach, describe, expect, it } from 'vitest';
import { resizeBilinear } from '../../../datasets/resize.ts';
import type { DataSplit } from '../../../datasets/types.ts';
import { adaptTaskInputs, testPointsRead } from '../../../harness/run/adapt-input.ts';
import { Rng } from '../../../harness/rng.ts';

function split(n: number, shape: [number, number, number], seed: number): DataSplit {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * shape[0] * shape[1] * shape[2]).map(() => Math.floor(rng.next() * 256));
  return { images, labels: Int32Array.from({ length: n }, (_, i) => i % 3), n, shape };
}

const gray = { train: split(6, [8, 8, 1], 1), test: split(5, [8, 8, 1], 2) };
const task = { id: 'toy/linf-8' };

afterEach(() => {
  delete process.env.RFTBENCH_RESIZE_BUDGET_MB;
});

describe('adaptTaskInputs', () => {
  it('returns the splits as they are when the task has no input rules and the shapes match', () => {
    const out = adaptTaskInputs(task, [8, 8, 1], gray, 100);
    expect(out.train).toBe(gray.train);
    expect(out.test).toBe(gray.test);
  });

  it('resizes and repeats the channel of every train image and of the evaluated test points', () => {
    const out = adaptTaskInputs({ ...task, resize: 20, channels: 'repeat' }, [20, 20, 3], gray, 3);
    expect(out.train.shape).toEqual([20, 20, 3]);
    expect(out.train.n).toBe(6);
    expect(out.test.n).toBe(3); // only what the evaluation reads
    expect([...out.test.labels]).toEqual([...gray.test.labels.slice(0, 3)]);
    const px = 20 * 20;
    for (let i = 0; i < 6; i++) {
      const src = gray.train.images.subarray(i * 64, (i + 1) * 64);
      const rgb = new Uint8Array(64 * 3).map((_, k) => src[Math.floor(k / 3)]);
      const expected = resizeBilinear({ width: 8, height: 8, data: rgb }, 20, 20).data;
      const got = out.train.images.subarray(i * px * 3, (i + 1) * px * 3);
      expect(got).toEqual(expected);
      for (let p = 0; p < px; p++) expect(got[3 * p]).toBe(got[3 * p + 2]);
    }
    // Not a copy of the input: the pixels really changed size.
    expect(out.train.images.length).toBe(6 * px * 3);
  });

  it('resizes a 1-channel target for a 1-channel source without adding channels', () => {
    const out = adaptTaskInputs({ ...task, resize: 16 }, [16, 16, 1], gray, 5);
    expect(out.test.shape).toEqual([16, 16, 1]);
    const expected = resizeBilinear({ width: 8, height: 8, data: new Uint8Array(192).map((_, k) => gray.test.images[Math.floor(k / 3)]) }, 16, 16).data;
    expect(out.test.images.subarray(0, 256)).toEqual(expected.filter((_, k) => k % 3 === 0));
  });

  it('names the task field that fixes a shape mismatch', () => {
    expect(() => adaptTaskInputs(task, [32, 32, 3], gray, 5)).toThrow(/task toy\/linf-8: the target's images are 8x8x1, the source model takes 32x32x3; the task needs resize: 32 and channels: 'repeat'/);
    expect(() => adaptTaskInputs({ ...task, resize: 24 }, [32, 32, 1], gray, 5)).toThrow(/24x24x1 after its input rules \(8x8x1 as loaded\).*needs resize: 32/);
    const rgb = { train: split(2, [8, 8, 3], 3), test: split(2, [8, 8, 3], 4) };
    expect(() => adaptTaskInputs({ ...task, channels: 'repeat' }, [8, 8, 3], rgb, 5)).toThrow(/channels 'repeat' turns a 1-channel target into 3 channels; the target has 3/);
  });

  it('refuses -C test sets and conversions over the memory budget, naming the task', () => {
    expect(() => adaptTaskInputs({ ...task, resize: 16, corruptions: 'fashion-mnist-c' }, [16, 16, 1], gray, 5)).toThrow(/task toy\/linf-8: corruptions \(fashion-mnist-c\) with resize/);
    process.env.RFTBENCH_RESIZE_BUDGET_MB = String(1000 / 2 ** 20); // 1000 bytes: 6 + 5 images of 16x16 need 2816
    expect(() => adaptTaskInputs({ ...task, resize: 16 }, [16, 16, 1], gray, 5)).toThrow(/task toy\/linf-8: converting 6 train \+ 5 test images to 16x16x1 needs .* over the eager budget/);
    process.env.RFTBENCH_RESIZE_BUDGET_MB = 'lots';
    expect(() => adaptTaskInputs({ ...task, resize: 16 }, [16, 16, 1], gray, 5)).toThrow(/RFTBENCH_RESIZE_BUDGET_MB='lots'/);
  });

  it('reads as many test points as PGD or AutoAttack evaluates', () => {
    const evaluation = { n: 500, batchSize: 250, pgd: { steps: 20, stepSizeOverEps: 0.25, restarts: 1 } };
    expect(testPointsRead(evaluation)).toBe(500);
    expect(testPointsRead({ ...evaluation, autoattack: { version: 'standard', n: 1000, batchSize: 250 } })).toBe(1000);
  });
});
