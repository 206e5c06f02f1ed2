/** The PyTorch side of bench:peer: it runs the same model family where python3-torch exists, else says why it skipped. */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { benchPeer, spreadOf, torchSteps } from '../../../../harness/orchestration/bench/peer.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import type { ModelCase } from '../../../../harness/orchestration/bench/model-steps.ts';

const tiny: ModelCase = {
  name: 'tiny',
  batch: 4,
  spec: { arch: 'small-resnet', numClasses: 3, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] },
};
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const saved = process.env.RFTBENCH_PYTHON;
afterEach(() => {
  if (saved === undefined) delete process.env.RFTBENCH_PYTHON;
  else process.env.RFTBENCH_PYTHON = saved;
});

describe('bench:peer, PyTorch side', () => {
  it('skips with the reason when PyTorch cannot run', () => {
    process.env.RFTBENCH_PYTHON = '/nonexistent/python3';
    const r = torchSteps([tiny], 1, 0.01);
    expect(r.rows).toEqual({});
    expect(r.skipped).toMatch(/PyTorch is not available to \/nonexistent\/python3/);
  });

  it.runIf(hasTorch)(
    'times a training step, a PGD step and inference of the same architecture',
    () => {
      const r = torchSteps([tiny], 1, 0.05);
      expect(r.skipped).toBeUndefined();
      for (const task of ['train step', 'PGD step', 'inference']) expect(r.rows[`tiny|${task}`]).toBeGreaterThan(0);
    },
    60_000,
  );
});

describe('bench:peer, repeated runs', () => {
  it('summarises runs as the median and range', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, samples: [3, 1, 2] });
    expect(spreadOf([4, 1, 2, 10])).toMatchObject({ median: 3, min: 1, max: 10 });
  });

  it.runIf(hasTorch)(
    'pairs each run of ours with the PyTorch run after it: the ratio is the median of the per-run ratios',
    async () => {
      const info = await useBackend('wasm');
      try {
        const { rows, skipped } = await benchPeer(info.name, 1, [tiny], { time: 50, repeat: 3 });
        expect(skipped).toBeUndefined();
        expect(rows.map((r) => r.task)).toEqual(['train step', 'PGD step', 'inference']);
        for (const r of rows) {
          expect(r.ours.samples).toHaveLength(3);
          expect(r.torch?.samples).toHaveLength(3);
          const perRun = r.ours.samples.map((v, i) => v / r.torch!.samples[i]);
          expect(r.ratios?.samples).toEqual(perRun);
          expect(r.ratio).toBe(spreadOf(perRun).median);
          expect(r.oursImagesPerSecond).toBe(spreadOf(r.ours.samples).median);
        }
      } finally {
        await releaseBackend();
      }
    },
    120_000,
  );
});
