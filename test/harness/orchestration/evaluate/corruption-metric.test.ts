/**
 * The corruption metric on a CIFAR-10-C written in its real format (NPY, severity blocks): a model that reads
 * the label from the first pixel, on images whose later rows carry a wrong label, gives known accuracies per
 * severity, per corruption and in the mean.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogitsFn } from '../../../../attacks/types.ts';
import { evaluateCorruptions } from '../../../../harness/orchestration/evaluate/corruption-metric.ts';
import { useCpuBackend } from '../../../support/tf.ts';
import { writeNpy } from '../../../../datasets/formats/writers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-corr-'));
const data = join(dir, 'data');
const per = 10;

/** Row r of severity s encodes its label in pixel 0 unless r >= 10 - 2(s-1) (then it encodes label+1). */
function write(name: string, wrongFrom: (s: number) => number) {
  const images = new Uint8Array(5 * per * 3072);
  for (let s = 1; s <= 5; s++) {
    for (let r = 0; r < per; r++) {
      const label = r % 10;
      const shown = r >= wrongFrom(s) ? (label + 1) % 10 : label;
      images.fill(shown * 25 + 12, ((s - 1) * per + r) * 3072, ((s - 1) * per + r + 1) * 3072);
    }
  }
  writeFileSync(join(data, 'cifar10-c', 'CIFAR-10-C', `${name}.npy`), writeNpy('|u1', [5 * per, 32, 32, 3], images, 1));
}

// Logits peak at k = floor(10 * pixel0).
const model: LogitsFn = (x) =>
  tf.tidy(() => {
    const v = tf.mul(tf.reshape(tf.slice(x, [0, 0, 0, 0], [-1, 1, 1, 1]), [-1, 1]), 10);
    const centres = tf.add(tf.range(0, 10), 0.5).reshape([1, 10]);
    return tf.neg(tf.square(tf.sub(v, centres))) as tf.Tensor2D;
  });

beforeAll(async () => {
  await useCpuBackend();
  mkdirSync(join(data, 'cifar10-c', 'CIFAR-10-C'), { recursive: true });
  write('gaussian_noise', (s) => per - 2 * (s - 1));
  write('fog', () => per);
  writeFileSync(
    join(data, 'cifar10-c', 'CIFAR-10-C', 'labels.npy'),
    writeNpy(
      '|u1',
      [5 * per],
      Uint8Array.from({ length: 5 * per }, (_, i) => i % 10),
    ),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('corruption metric', () => {
  it('reports accuracy per corruption and severity and the mean over all splits', async () => {
    const before = tf.memory().numTensors;
    const metrics = await evaluateCorruptions(model, {
      dataset: 'cifar10-c',
      n: per,
      batchSize: 4,
      only: ['gaussian_noise', 'fog'],
      load: { dataDir: data, download: false },
    });
    expect(tf.memory().numTensors).toBe(before);
    const by = Object.fromEntries(metrics.map((m) => [m.name, m]));
    expect(Object.keys(by)).toEqual(['corruption', 'corruption/gaussian_noise', 'corruption/fog']);
    expect(
      (by['corruption/gaussian_noise'].details.perSeverity as { accuracy: number }[]).map((p) => p.accuracy),
    ).toEqual([1, 0.8, 0.6, 0.4, 0.2]);
    expect(by['corruption/gaussian_noise'].value).toBeCloseTo(0.6, 12);
    expect(by['corruption/fog'].value).toBe(1);
    expect(by.corruption.value).toBeCloseTo(0.8, 12);
    expect(by.corruption.n).toBe(100);
  });

  it('evaluates the first n points of each split, and names an unknown corruption', async () => {
    const metrics = await evaluateCorruptions(model, {
      dataset: 'cifar10-c',
      n: 5,
      batchSize: 5,
      only: ['gaussian_noise'],
      load: { dataDir: data, download: false },
    });
    expect((metrics[1].details.perSeverity as { accuracy: number }[]).map((p) => p.accuracy)).toEqual([
      1, 1, 1, 0.8, 0.4,
    ]);
    await expect(
      evaluateCorruptions(model, {
        dataset: 'cifar10-c',
        n: 5,
        batchSize: 5,
        only: ['fogg'],
        load: { dataDir: data, download: false },
      }),
    ).rejects.toThrow(/no corruption 'fogg'/);
    await expect(
      evaluateCorruptions(model, {
        dataset: 'cifar10-c',
        n: 5,
        batchSize: 5,
        only: ['snow'],
        load: { dataDir: data, download: false },
      }),
    ).rejects.toThrow(/snow/);
  });
});
