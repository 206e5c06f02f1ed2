/**
 * bench:peer's AutoAttack row on a small random 5-class model and 12 seeded points: ours always runs; the official
 * PyTorch AutoAttack is skipped with the reason where python3-torch or the `autoattack` package is missing, and
 * where it is importable (RFTBENCH_AUTOATTACK_PATH or PYTHONPATH) it runs on the same weights and points.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AutoAttackPeerOptions,
  benchAutoAttackPeer,
  torchAutoAttack,
} from '../../../../harness/orchestration/bench/autoattack-peer.ts';
import { saveCheckpoint } from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import type { Classifier } from '../../../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import type { DataSplit } from '../../../../datasets/types.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
/** Importable the way the script imports it: RFTBENCH_AUTOATTACK_PATH first, else PYTHONPATH. */
const aaImportable =
  hasTorch &&
  spawnSync(
    PYTHON,
    ['-c', 'import sys, os; sys.path.insert(0, os.environ.get("RFTBENCH_AUTOATTACK_PATH", ""));import autoattack'],
    {
      encoding: 'utf8',
    },
  ).status === 0;
const aaInSitePackages =
  hasTorch && spawnSync(PYTHON, ['-c', 'import autoattack'], { encoding: 'utf8', env: {} }).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'rftbench-aa-peer-test-'));
const checkpoint = join(dir, 'model.safetensors');
// A large radius, so APGD-CE breaks every point and the later components (Square's 5000 queries) have none left.
const options: AutoAttackPeerOptions = {
  n: 12,
  eps: 0.3,
  version: 'standard',
  threads: 1,
  batchSize: 12,
  seed: 0,
};
let model: Classifier;

/** 16 seeded 8x8 grey images, 5 classes, raw pixels as a dataset split holds them. */
function points(): DataSplit {
  const rng = new Rng(3);
  const n = 16;
  const images = Uint8Array.from({ length: n * 64 }, () => rng.int(256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 5);
  return { images, labels, n, shape: [8, 8, 1] };
}

const saved = { python: process.env.RFTBENCH_PYTHON, aa: process.env.RFTBENCH_AUTOATTACK_PATH };
beforeAll(async () => {
  await useBackend('wasm', 1);
  model = buildModel({ arch: 'small-resnet', numClasses: 5, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] }, 1);
  saveCheckpoint(checkpoint, model, { spec: model.spec });
});
afterEach(() => {
  for (const [key, value] of [
    ['RFTBENCH_PYTHON', saved.python],
    ['RFTBENCH_AUTOATTACK_PATH', saved.aa],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});
afterAll(async () => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
  await releaseBackend();
});

describe('bench:peer AutoAttack row', () => {
  it('skips the PyTorch side with the reason when PyTorch cannot run, and still measures ours', async () => {
    process.env.RFTBENCH_PYTHON = '/nonexistent/python3';
    const r = await benchAutoAttackPeer(model, checkpoint, points(), options);
    expect(r.skipped).toMatch(/PyTorch is not available to \/nonexistent\/python3/);
    expect(r.torch).toBeUndefined();
    expect(r.ratio).toBeNull();
    expect(r.points).toBe(12);
    expect(r.ours.seconds).toBeGreaterThan(0);
    expect(r.ours.robustAccuracy).toBeLessThanOrEqual(r.ours.cleanAccuracy);
    expect(r.ours.maxPerturbation).toBeLessThanOrEqual(options.eps * (1 + 1e-5));
  });

  it.runIf(hasTorch && !aaInSitePackages)(
    'skips with the reason when the autoattack package is not importable',
    () => {
      process.env.RFTBENCH_AUTOATTACK_PATH = join(dir, 'no-autoattack-here');
      const r = torchAutoAttack(checkpoint, points(), options);
      expect(r.side).toBeUndefined();
      expect(r.skipped).toMatch(
        /autoattack package is not importable from RFTBENCH_AUTOATTACK_PATH=.*no-autoattack-here/,
      );
    },
    60_000,
  );

  it.runIf(aaImportable)(
    'runs the official AutoAttack on the same weights and points (RFTBENCH_AUTOATTACK_PATH or PYTHONPATH)',
    async () => {
      const test = points();
      const r = await benchAutoAttackPeer(model, checkpoint, test, options);
      expect(r.skipped).toBeUndefined();
      const torch = r.torch!;
      // The rebuilt model is ours: the same class for every clean point.
      const x = tf.tidy(() => tf.div(tf.tensor4d(test.images.slice(0, 12 * 64), [12, 8, 8, 1], 'float32'), 255));
      const pred = tf.tidy(() => model.forward(x as tf.Tensor4D).argMax(1));
      const ours = Array.from(pred.dataSync());
      tf.dispose([x, pred]);
      expect(torch.cleanPredictions).toEqual(ours);
      expect(torch.cleanAccuracy).toBeCloseTo(r.ours.cleanAccuracy, 6);
      expect(torch.robustAccuracy).toBeLessThanOrEqual(torch.cleanAccuracy);
      expect(torch.maxPerturbation).toBeLessThanOrEqual(options.eps * (1 + 1e-5));
      expect(r.ratio).toBeCloseTo(torch.seconds / r.ours.seconds, 10);
    },
    120_000,
  );
});
