/**
 * One AutoAttack batch of APGD shared out by points ends as the whole batch in one worker: examples,
 * classes, notes, robust accuracy. On the harness's backend (wasm, native kernels where built), a real
 * model and real worker threads.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type StagedApgd, stagedApgd } from '../../../../attacks/apgd.ts';
import { componentAttack, inThreadRunner, type BatchDone, type Component } from '../../../../attacks/autoattack.ts';
import { logitsOf, takeRows } from '../../../../attacks/utils.ts';
import type { DataSplit } from '../../../../datasets/types.ts';
import { runBatchInShards, type ShardExecutor } from '../../../../harness/orchestration/evaluate/autoattack-shards.ts';
import { evaluateAutoAttack } from '../../../../harness/orchestration/evaluate/autoattack-metric.ts';
import {
  closeEvaluationWorkers,
  openEvaluationPool,
} from '../../../../harness/orchestration/evaluate/workers/attack-pool.ts';
import type { Classifier } from '../../../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';

const SPEC = {
  arch: 'small-resnet',
  numClasses: 10,
  inputShape: [28, 28, 1] as [number, number, number],
  mean: [0.5],
  std: [0.25],
};
const N = 24;
const EPS = 16 / 255;
let model: Classifier;
let test: DataSplit;
let x: tf.Tensor4D;
let y: tf.Tensor1D;
const logits = (z: tf.Tensor4D) => model.forward(z);

beforeAll(async () => {
  await useBackend('wasm');
  model = buildModel(SPEC, 3);
  model.eval();
  const rng = new Rng(5);
  const images = Uint8Array.from({ length: N * 784 }, () => rng.int(256));
  x = tf.tensor4d(
    Float32Array.from(images, (v) => v / 255),
    [N, 28, 28, 1],
  );
  // Labels = the model's own predictions: every point is attacked.
  const pred = tf.tidy(() => tf.argMax(model.forward(x), 1));
  y = tf.cast(pred, 'int32') as tf.Tensor1D;
  test = { images, labels: Int32Array.from(pred.dataSync()), n: N, shape: [28, 28, 1] };
  pred.dispose();
});

afterAll(async () => {
  tf.dispose([x, y]);
  model.dispose();
  await closeEvaluationWorkers();
  await releaseBackend();
});

/** Shards run here, one after another, on rows of the test points. */
const hereExecutor = (staged: StagedApgd): ShardExecutor => ({
  clean: async (parts) =>
    parts.map((points) => {
      const xs = takeRows(x, points);
      const ys = takeRows(y, points);
      const out = { ...logitsOf(logits, xs), x: Float32Array.from(xs.dataSync()), y: Int32Array.from(ys.dataSync()) };
      tf.dispose([xs, ys]);
      return out;
    }),
  stage: async (stage, parts) =>
    parts.map((p) => {
      const xs = takeRows(x, p.points);
      const ys = takeRows(y, p.points);
      const out = staged.runShard(logits, xs, ys, stage, p.take);
      tf.dispose([xs, ys]);
      return out;
    }),
});

const same = (a: BatchDone, b: BatchDone) => {
  expect(Array.from(a.pred)).toEqual(Array.from(b.pred));
  expect(Buffer.from(a.xAdv.buffer).equals(Buffer.from(b.xAdv.buffer))).toBe(true);
  expect(a.notes).toEqual(b.notes);
};

describe('an APGD batch shared out by points', () => {
  const overrides = { apgd: { nIter: 6, restarts: 2 }, apgdT: { nIter: 4, nTargetClasses: 3, restarts: 2 } };
  for (const [name, eps] of [
    ['apgd-ce', EPS],
    ['apgd-t', EPS],
    ['apgd-dlr', 8 / 255],
  ] as [Component, number][]) {
    it(`${name} in 1, 2 and 5 shards gives the examples, classes and notes of one run`, async () => {
      const attack = componentAttack(name, 'custom', 'Linf', eps, overrides);
      const staged = stagedApgd(attack)!;
      // Points out of order and a subset, as AutoAttack hands them over.
      const job = { points: [3, 0, 7, 8, 12, 5, 20, 21, 22, 9, 15], seed: 77 };
      const [whole] = inThreadRunner(logits, x, y, () => attack).run(name, [job]);
      const fooled = Array.from(whole.pred).filter((p, i) => p !== test.labels[job.points[i]]).length;
      expect(fooled).toBeGreaterThan(0);
      expect(fooled).toBeLessThan(job.points.length);
      for (const shards of [1, 2, 5]) same(await runBatchInShards(staged, job, shards, hereExecutor(staged)), whole);
    });
  }

  it('AutoAttack on one batch: 2 workers share it by points and end as 1 worker', async () => {
    const config = {
      version: 'custom' as const,
      attacks: ['apgd-ce' as const, 'apgd-t' as const],
      n: N,
      batchSize: N,
      overrides: { apgd: { nIter: 5 }, apgdT: { nIter: 5, nTargetClasses: 3 } },
    };
    const opts = { threat: { norm: 'Linf' as const, eps: EPS }, config, seed: 4 };
    const here = await evaluateAutoAttack(logits, test, opts);
    const pool = await openEvaluationPool(model, test, N, { workers: 2 });
    expect(pool?.size).toBe(2);
    const shard = vi.spyOn(pool!, 'apgdShard');
    const attackPoints = vi.spyOn(pool!, 'attackPoints');
    const pooled = await evaluateAutoAttack(logits, test, { ...opts, pool }).finally(() => pool!.release());
    // Both components went out in shards, none as a whole batch.
    expect(new Set(shard.mock.calls.map((c) => c[0].kind === 'autoattack-component' && c[0].name))).toEqual(
      new Set(['apgd-ce', 'apgd-t']),
    );
    expect(attackPoints).not.toHaveBeenCalled();
    expect(here.report.robustAccuracyAfter[0].robustAccuracy).toBeLessThan(1);
    expect(here.report.robustAccuracy).toBeGreaterThan(0);
    expect(pooled.report.robustFlags).toEqual(here.report.robustFlags);
    expect(Array.from(pooled.report.yAdv)).toEqual(Array.from(here.report.yAdv));
    expect(pooled.report.robustAccuracyAfter).toEqual(here.report.robustAccuracyAfter);
    expect(pooled.report.componentNotes).toEqual(here.report.componentNotes);
    expect(pooled.metric).toEqual(here.metric);
  });
});
