/**
 * The protocol's augmentation end to end: the smoke task with a reflect-padded crop + flip, run through the real
 * runner into a real store by two recording entries (different methods: other lr, schedule and loss) and `at`.
 * Both recorders see exactly the same training batches, every epoch other crops than the last; the cell spec
 * (so the cell id) records the augmentation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineMethod, type MethodEntry } from '../../../../methods/define.ts';
import { fineTuneWith } from '../../../../methods/common/fine-tune.ts';
import { crossEntropy } from '../../../../harness/foundation/nn/losses.ts';
import { expandSuite } from '../../../../harness/protocol/cells.ts';
import { parseSuite } from '../../../../harness/protocol/schema.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { runSuite } from '../../../../harness/orchestration/run/runner.ts';
import { shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { Store } from '../../../../results/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-augment-'));
const quiet = () => {};
const AUGMENT = { crop: { size: 8, padding: 2, mode: 'reflect' }, flip: true } as const;

/** Per entry, per epoch: the training batches it was given, as bytes. */
const seen = new Map<string, string[][]>();

function recorder(id: string, o: { lr: number; schedule: 'cosine' | 'constant'; smoothing: number }): MethodEntry {
  return defineMethod({
    id,
    title: `records its batches (${id})`,
    description: 'test entry',
    config: z.strictObject({}),
    fineTune: (ctx) => {
      const epochs: string[][] = [[]];
      seen.set(id, epochs);
      const sgdCtx = { ...ctx, config: { lr: o.lr, momentum: 0.9, weightDecay: 5e-4, schedule: o.schedule } };
      return fineTuneWith(sgdCtx, {
        prepare: (_m, { x }) => {
          epochs.at(-1)!.push(Buffer.from(x.dataSync().buffer).toString('base64'));
          return {};
        },
        loss: (m, { x, y }) =>
          tf.tidy(() => {
            const ce = crossEntropy(m.forward(x), y);
            return o.smoothing ? tf.mul(ce, 1 - o.smoothing) : ce;
          }) as tf.Scalar,
        afterEpoch: () => epochs.push([]),
      });
    },
  });
}

beforeAll(() => {
  process.env.RFTBENCH_DATA = join(dir, 'data');
});

afterAll(async () => {
  await shutdownBackend();
  rmSync(dir, { recursive: true, force: true });
});

describe('the protocol augmentation through the runner', () => {
  it('gives every method of a task the same crops, other crops each epoch, and is recorded in the cell spec', async () => {
    const smoke = loadSuite('smoke');
    const suite = parseSuite(
      {
        ...smoke,
        id: 'smoke-augment',
        tasks: smoke.tasks.map((t) => ({ ...t, augment: AUGMENT })),
        methods: [{ id: 'record-a' }, { id: 'record-b' }, { id: 'at' }],
      },
      'smoke-augment',
    );
    const extraEntries = new Map([
      ['record-a', recorder('record-a', { lr: 0.05, schedule: 'cosine', smoothing: 0 })],
      ['record-b', recorder('record-b', { lr: 0.01, schedule: 'constant', smoothing: 0.1 })],
    ]);
    const store = Store.open(join(dir, 'augment.db'));
    try {
      const out = await runSuite({ suite, store, command: 'test augment', log: quiet, extraEntries });
      expect(out.map((s) => [s.cell.spec.method.id, s.status, s.error])).toEqual([
        ['record-a', 'completed', undefined],
        ['record-b', 'completed', undefined],
        ['at', 'completed', undefined],
      ]);
      const a = seen.get('record-a')!.filter((e) => e.length);
      const b = seen.get('record-b')!.filter((e) => e.length);
      expect(a.length).toBe(smoke.tier.budget.epochs);
      // Same seed, same task: the same batches, crop for crop, whatever the method does with them.
      expect(b).toEqual(a);
      // Every epoch sees every example once; the examples' crops differ from one epoch to the next.
      const asSet = (epoch: string[]) => new Set(epoch.flatMap((batch) => splitImages(batch)));
      const first = asSet(a[0]);
      const second = asSet(a[1]);
      expect([...second].filter((img) => first.has(img)).length).toBeLessThan(first.size / 4);
      for (const s of store.listCells({ suite: 'smoke-augment' })) {
        expect(s.spec).toMatchObject({ task: { augment: AUGMENT } });
      }
      // The augmentation is part of the task, so of the id: no id of the plain smoke suite comes back.
      const plain = new Set(expandSuite(smoke).map((c) => c.id));
      expect(out.some((s) => plain.has(s.cell.id))).toBe(false);
    } finally {
      store.close();
    }
  });
});

/** One batch's images (8x8x1 float32) as separate strings, so epochs compare as sets of examples. */
function splitImages(batch: string): string[] {
  const bytes = Buffer.from(batch, 'base64');
  const per = 8 * 8 * 4;
  return Array.from({ length: bytes.length / per }, (_, i) =>
    bytes.subarray(i * per, (i + 1) * per).toString('base64'),
  );
}
