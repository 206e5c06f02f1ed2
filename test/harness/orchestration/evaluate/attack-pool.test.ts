/**
 * Evaluation across cores: PGD through the worker pool against the same evaluation in this thread, on a
 * real model and real worker threads (each with its own wasm backend). Labels are the model's own clean
 * predictions, so every point counts clean and the robust flags carry the comparison.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSplit } from '../../../../datasets/types.ts';
import { componentAttack, inThreadRunner, type Component } from '../../../../attacks/autoattack.ts';
import { toBatch } from '../../../../datasets/batches.ts';
import { evaluateAutoAttack } from '../../../../harness/orchestration/evaluate/autoattack-metric.ts';
import {
  attackAccuracyInWorkers,
  closeEvaluationWorkers,
  evaluationWorkers,
  openEvaluationPool,
  rebuildReason,
  type EvaluationPool,
  type PoolOptions,
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
const N = 200;
let model: Classifier;
let test: DataSplit;

function options(workers: number, extra: Partial<PoolOptions> = {}): PoolOptions {
  const eps = 16 / 255;
  return {
    n: N,
    batchSize: 48,
    attack: { id: 'pgd', options: { norm: 'Linf', eps, alpha: eps / 4, steps: 5, restarts: 1, randomStart: true } },
    threat: { norm: 'Linf', eps },
    seed: 11,
    workers,
    ...extra,
  };
}

beforeAll(async () => {
  await useBackend('wasm');
  model = buildModel(SPEC, 3);
  model.eval();
  const rng = new Rng(5);
  const images = Uint8Array.from({ length: N * 784 }, () => rng.int(256));
  const x = tf.tensor4d(
    Float32Array.from(images, (v) => v / 255),
    [N, 28, 28, 1],
  );
  const pred = tf.tidy(() => tf.argMax(model.forward(x), 1));
  test = { images, labels: Int32Array.from(pred.dataSync()), n: N, shape: [28, 28, 1] };
  tf.dispose([x, pred]);
});

afterAll(async () => {
  model.dispose();
  await closeEvaluationWorkers();
  await releaseBackend();
});

describe('PGD evaluation in worker threads', () => {
  it('gives the same counts, robust flags and perturbation stats as one thread, and leaks no tensors', async () => {
    const lines: string[] = [];
    const one = await attackAccuracyInWorkers(model, test, options(1));
    const before = tf.memory().numTensors;
    const two = await attackAccuracyInWorkers(model, test, options(2, { log: (l) => lines.push(l) }));
    // A second evaluation reuses the idle workers with the (same) model sent again.
    const again = await attackAccuracyInWorkers(model, test, options(2));
    expect(tf.memory().numTensors).toBe(before);
    expect(lines).toContain('evaluation in 2 worker threads x 1 backend thread');
    expect(one.clean).toBe(N);
    expect(one.robust).toBeGreaterThan(0);
    expect(one.robust).toBeLessThan(N);
    for (const r of [two, again]) {
      expect(r.clean).toBe(one.clean);
      expect(r.robust).toBe(one.robust);
      expect([...r.robustFlags]).toEqual([...one.robustFlags]);
      expect(r.stats).toEqual(one.stats);
    }
    expect(one.stats.checked).toBe(N);
  });

  it('workers keep their test points across evaluations, and take new ones when the points change', async () => {
    // The same points again: sent once (the workers hold them). Other labels: the workers must score those.
    const first = await attackAccuracyInWorkers(model, test, options(2, { n: 96 }));
    const same = await attackAccuracyInWorkers(model, test, options(2, { n: 96 }));
    const shifted = { ...test, labels: test.labels.map((l) => (l + 1) % 10) };
    const other = await attackAccuracyInWorkers(model, shifted, options(2, { n: 96 }));
    const here = await attackAccuracyInWorkers(model, shifted, options(1, { n: 96 }));
    expect(same.clean).toBe(first.clean);
    expect(first.clean).toBe(96);
    // Every label moved off the prediction: no point is clean, as in this thread.
    expect(other.clean).toBe(0);
    expect(other.clean).toBe(here.clean);
    // Back to the first points: the workers must not keep scoring the shifted ones.
    const back = await attackAccuracyInWorkers(model, test, options(2, { n: 96 }));
    expect(back.clean).toBe(96);
    expect([...back.robustFlags]).toEqual([...first.robustFlags]);
  });

  it('AutoAttack with its component batches in the pool ends as in one thread', async () => {
    const eps = 16 / 255;
    // 5 batches of 12 for APGD-CE, then what is left for APGD-T: batches run two at a time.
    const config = {
      version: 'custom' as const,
      attacks: ['apgd-ce' as const, 'apgd-t' as const],
      n: 60,
      batchSize: 12,
      overrides: { apgd: { nIter: 5 }, apgdT: { nIter: 5, nTargetClasses: 2 } },
    };
    const opts = { threat: { norm: 'Linf' as const, eps }, config, seed: 4 };
    const logits = (x: tf.Tensor4D) => model.forward(x);
    const here = await evaluateAutoAttack(logits, test, opts);
    const progress: string[] = [];
    const pool = await openEvaluationPool(model, test, 60, { workers: 2 });
    expect(pool?.size).toBe(2);
    const pooled = await evaluateAutoAttack(logits, test, {
      ...opts,
      pool,
      onProgress: (p) => progress.push(`${p.attack}#${p.batch}`),
    }).finally(() => pool!.release());
    expect(here.report.robustAccuracyAfter[0].robustAccuracy).toBeLessThan(1);
    expect(here.report.robustAccuracy).toBeGreaterThan(0);
    expect(pooled.report.robustFlags).toEqual(here.report.robustFlags);
    expect(pooled.report.robustAccuracyAfter).toEqual(here.report.robustAccuracyAfter);
    expect(pooled.metric).toEqual(here.metric);
    // Progress still comes one batch at a time, in order.
    expect(progress.slice(0, 5)).toEqual(['apgd-ce#1', 'apgd-ce#2', 'apgd-ce#3', 'apgd-ce#4', 'apgd-ce#5']);
  });

  it('a single batch of FAB-T or Square runs in this thread, with the outcome the workers give', async () => {
    const config = {
      version: 'custom' as const,
      attacks: ['fab-t' as const, 'square' as const],
      n: 20,
      batchSize: 250,
      overrides: { fab: { nIter: 5, nTargetClasses: 2 }, square: { nQueries: 60 } },
    };
    const opts = { threat: { norm: 'Linf' as const, eps: 16 / 255 }, config, seed: 5 };
    const logits = (x: tf.Tensor4D) => model.forward(x);
    const pool = await openEvaluationPool(model, test, 20, { workers: 2 });
    const sent: string[] = [];
    const inWorkers = (p: EvaluationPool) => {
      const attackPoints = p.attackPoints.bind(p);
      p.attackPoints = (recipe, points, seed) => {
        sent.push(recipe.kind === 'autoattack-component' ? recipe.name : recipe.kind);
        return attackPoints(recipe, points, seed);
      };
      return p;
    };
    try {
      const here = await evaluateAutoAttack(logits, test, { ...opts, pool: inWorkers(pool!) });
      expect(sent).toEqual([]);
      // One batch, attacked by a worker (one backend thread) and by this thread (all of them): the same bits.
      const job = { points: Array.from({ length: 20 }, (_, i) => i), seed: 5 };
      const square = { version: 'custom' as const, norm: 'Linf' as const, eps: 16 / 255, overrides: config.overrides };
      const worker = await pool!.attackPoints(
        { kind: 'autoattack-component', name: 'square', ...square },
        job.points,
        5,
      );
      const { x, y } = toBatch(test, Int32Array.from(job.points));
      const attackOf = (c: Component) => componentAttack(c, 'custom', 'Linf', 16 / 255, config.overrides);
      const [mine] = inThreadRunner(logits, x, y, attackOf).run('square', [job]);
      tf.dispose([x, y]);
      expect(Array.from(mine.pred)).toEqual(Array.from(worker.pred));
      expect(Array.from(mine.xAdv)).toEqual(Array.from(worker.xAdv));
      expect(here.report.robustAccuracy).toBeGreaterThan(0);
    } finally {
      pool!.release();
    }
  });

  it('keeps a model a method changed in this thread, saying why', async () => {
    expect(rebuildReason(model)).toBeUndefined();
    // An extra buffer, as TWINS's second BN wing adds, means the zoo cannot rebuild the model.
    const twin = buildModel(SPEC, 3);
    try {
      (twin as unknown as { registerBuffer(n: string, v: tf.Tensor): void }).registerBuffer('extra', tf.zeros([2]));
      expect(rebuildReason(twin)).toMatch(/modules differ from the zoo's small-resnet/);
      const lines: string[] = [];
      const r = await attackAccuracyInWorkers(twin, test, options(2, { n: 60, log: (l) => lines.push(l) }));
      expect(r.n).toBe(60);
      expect(r.stats.checked).toBe(60);
      expect(lines).toEqual([expect.stringMatching(/^evaluation in this thread: its modules differ/)]);
    } finally {
      twin.dispose();
    }
  });

  it('a failing worker fails the evaluation with its message instead of hanging', async () => {
    await expect(
      attackAccuracyInWorkers(model, test, options(2, { attack: { id: 'pgdd', options: {} } })),
    ).rejects.toThrow(/evaluation worker: .*Unknown attack 'pgdd'/);
  });

  it('RFTBENCH_EVAL_WORKERS sets the pool size (default: one per core on wasm) and rejects what is not a positive integer', () => {
    expect(evaluationWorkers({ RFTBENCH_EVAL_WORKERS: '3' })).toBe(3);
    expect(evaluationWorkers({}, 'wasm')).toBe(os.cpus().length);
    // tfjs-node(-gpu) evaluates in its one process unless asked otherwise.
    expect(evaluationWorkers({}, 'tensorflow')).toBe(1);
    expect(evaluationWorkers({ RFTBENCH_EVAL_WORKERS: '2' }, 'tensorflow')).toBe(2);
    expect(() => evaluationWorkers({ RFTBENCH_EVAL_WORKERS: 'two' })).toThrow(
      "RFTBENCH_EVAL_WORKERS: expected a positive integer, got 'two'",
    );
  });
});
