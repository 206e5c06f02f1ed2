/**
 * Evaluation workers batch the test points through the split's pipeline as the evaluating thread does: a
 * model taking 16x16x3 scored on stored 8x8x1 images (resize + channel repeat), in this thread and in two
 * workers, with the same counts and flags. Labels are the model's clean predictions on the resized images, so
 * every point counts clean only where the images reach the model resized exactly alike.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBatch } from '../../../../datasets/batches.ts';
import type { DataSplit } from '../../../../datasets/types.ts';
import {
  attackAccuracyInWorkers,
  closeEvaluationWorkers,
  type PoolOptions,
} from '../../../../harness/orchestration/evaluate/workers/attack-pool.ts';
import type { Classifier } from '../../../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';

const SPEC = {
  arch: 'small-resnet',
  numClasses: 10,
  inputShape: [16, 16, 3] as [number, number, number],
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.25, 0.25],
};
const N = 96;
let model: Classifier;
let test: DataSplit;

function options(workers: number): PoolOptions {
  const eps = 8 / 255;
  return {
    n: N,
    batchSize: 32,
    attack: { id: 'pgd', options: { norm: 'Linf', eps, alpha: eps / 4, steps: 3, restarts: 1, randomStart: true } },
    threat: { norm: 'Linf', eps },
    seed: 5,
    workers,
  };
}

beforeAll(async () => {
  await useBackend('wasm');
  model = buildModel(SPEC, 2);
  model.eval();
  const rng = new Rng(9);
  const images = Uint8Array.from({ length: N * 64 }, () => rng.int(256));
  const stored: DataSplit = {
    images,
    labels: new Int32Array(N),
    n: N,
    shape: [8, 8, 1],
    pipeline: { inShape: [8, 8, 1], outShape: [16, 16, 3], seed: 0 },
  };
  const { x, y } = toBatch(
    stored,
    Int32Array.from({ length: N }, (_, i) => i),
  );
  const pred = tf.tidy(() => tf.argMax(model.forward(x), 1));
  test = { ...stored, labels: Int32Array.from(pred.dataSync()) };
  tf.dispose([x, y, pred]);
});

afterAll(async () => {
  model.dispose();
  await closeEvaluationWorkers();
  await releaseBackend();
});

describe('evaluation workers and the batch pipeline', () => {
  it('score resized test points exactly as this thread does', async () => {
    const one = await attackAccuracyInWorkers(model, test, options(1));
    const two = await attackAccuracyInWorkers(model, test, options(2));
    expect(one.clean).toBe(N);
    expect(two.clean).toBe(N);
    expect(two.robust).toBe(one.robust);
    expect([...two.robustFlags]).toEqual([...one.robustFlags]);
    expect(two.stats).toEqual(one.stats);
  });
});
