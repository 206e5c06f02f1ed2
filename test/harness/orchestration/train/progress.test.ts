/**
 * Training progress: a real `fit` reports every step of every epoch (the last one after the epoch's own
 * callback) to its `onProgress`, else to the listener of the enclosing `withTrainingProgress`, else, under the
 * CLI, to the command's logger; the time left comes from the speed of the steps run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../../../datasets/synthetic.ts';
import type { DataSplit } from '../../../../datasets/types.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { crossEntropy } from '../../../../harness/foundation/nn/losses.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { fit } from '../../../../harness/orchestration/train/fit.ts';
import { sgd } from '../../../../harness/orchestration/train/optimizer.ts';
import {
  currentTrainingListener,
  stepReporter,
  stepsLeft,
  trainingSecondsLeft,
  withTrainingProgress,
  type TrainingProgress,
} from '../../../../harness/orchestration/train/progress.ts';
import { Logger, setProcessLogger } from '../../../../harness/foundation/util/log.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';

let train: DataSplit;

beforeAll(async () => {
  await useBackend();
  train = await syntheticDataset({ trainSize: 40, testSize: 8 }).load('train');
});
afterAll(releaseBackend);

/** Two epochs of 40 examples in batches of 16: three steps per epoch. Returns the order of epoch ends and steps. */
async function train2(onProgress?: (p: TrainingProgress) => void): Promise<string[]> {
  const order: string[] = [];
  const model = buildModel({ arch: 'small-resnet', numClasses: 4, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] }, 3);
  const optimizer = sgd(model, { lr: 0.01, momentum: 0.9, weightDecay: 0 });
  try {
    await fit({
      model,
      train,
      epochs: 2,
      batchSize: 16,
      rng: new Rng(1),
      optimizer,
      lrAt: () => 0.01,
      loss: ({ x, y }) => crossEntropy(model.forward(x), y),
      onEpoch: (epoch) => order.push(`onEpoch ${epoch}`),
      onProgress:
        onProgress &&
        ((p) => {
          order.push(`step ${p.epoch}.${p.step}`);
          onProgress(p);
        }),
    });
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return order;
}

describe('fit progress', () => {
  it('reports each step with the totals, the last step of an epoch after onEpoch', async () => {
    const seen: TrainingProgress[] = [];
    const order = await train2((p) => seen.push(p));
    expect(order).toEqual([
      'step 0.1',
      'step 0.2',
      'onEpoch 0',
      'step 0.3',
      'step 1.1',
      'step 1.2',
      'onEpoch 1',
      'step 1.3',
    ]);
    expect(seen.map((p) => [p.epochs, p.steps, p.stepsRun])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [2, 3, n]));
    expect(seen.map(stepsLeft)).toEqual([5, 4, 3, 2, 1, 0]);
    // Time only moves forward, and the last step leaves nothing to wait for.
    for (let i = 1; i < seen.length; i++) expect(seen[i].seconds).toBeGreaterThanOrEqual(seen[i - 1].seconds);
    expect(trainingSecondsLeft(seen.at(-1)!)).toBe(0);
  });

  it('reaches the listener of the enclosing withTrainingProgress through async work', async () => {
    const seen: TrainingProgress[] = [];
    await withTrainingProgress(
      (p) => seen.push(p),
      async () => {
        await new Promise((r) => setTimeout(r, 1));
        await train2(); // no onProgress of its own
      },
    );
    expect(seen).toHaveLength(6);
    // Outside the scope, with no command logger, nothing listens (and fit reports nothing).
    expect(currentTrainingListener()).toBeUndefined();
  });

  it('under the CLI, logs an epoch line with the training ETA and throttled progress lines', async () => {
    const chunks: string[] = [];
    const logger = new Logger({ format: 'json', stream: { write: (s: string) => chunks.push(s) } });
    setProcessLogger(logger);
    try {
      await train2();
    } finally {
      setProcessLogger(undefined);
    }
    const events = chunks.map((c) => JSON.parse(c));
    expect(events.filter((e) => e.event === 'epoch').map((e) => e.msg.replace(/ETA \S+/, 'ETA x'))).toEqual([
      'epoch 1/2 done · training ETA x',
      'epoch 2/2 done · training ETA x',
    ]);
    expect(events.filter((e) => e.event === 'epoch').at(-1).eta).toBe(0);
    // At most one progress line per 30 s: the first step's.
    expect(events.filter((e) => e.event === 'train-progress')).toHaveLength(1);
  });
});

describe('stepReporter', () => {
  it('times the fit from its first report and counts the steps this process ran', () => {
    let ms = 500;
    const seen: TrainingProgress[] = [];
    const report = stepReporter(
      3,
      10,
      (p) => seen.push(p),
      () => ms,
    );
    ms += 2000;
    report(1, 4); // resumed at epoch 2: the first step here took 2 s
    ms += 2000;
    report(1, 5);
    expect(seen.map((p) => [p.seconds, p.stepsRun])).toEqual([
      [2, 1],
      [4, 2],
    ]);
    // 2 s per step; 5 steps left in epoch 2 and 10 in epoch 3.
    expect(trainingSecondsLeft(seen[1])).toBe(30);
    expect(trainingSecondsLeft({ ...seen[1], stepsRun: 0 })).toBeUndefined();
  });
});
