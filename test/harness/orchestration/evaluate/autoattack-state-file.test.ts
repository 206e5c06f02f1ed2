/**
 * AutoAttack's state file on the harness side: a real file written atomically and read back, bad files
 * named with what is wrong, and the metric `rftbench eval --state FILE` computes resuming from the file
 * after an interruption to the numbers of an uninterrupted run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_FORMAT, type AutoAttackState } from '../../../../attacks/autoattack.ts';
import type { DataSplit } from '../../../../datasets/types.ts';
import { fileStateStore } from '../../../../harness/orchestration/evaluate/autoattack-state-file.ts';
import {
  evaluateAutoAttack,
  type AutoAttackMetricOptions,
} from '../../../../harness/orchestration/evaluate/autoattack-metric.ts';
import { trainTinyNet, type TinyNet } from '../../../attacks/fixtures.ts';
import { useCpuBackend } from '../../../support/tf.ts';

let net: TinyNet;
let test: DataSplit;
let dir: string;

const STATE: AutoAttackState = {
  format: STATE_FORMAT,
  attacksToRun: ['apgd-ce', 'apgd-t'],
  runAttacks: ['apgd-ce'],
  robustFlags: [true, false, true],
  cleanAccuracy: 1,
  robustAccuracyAfter: [{ attack: 'apgd-ce', robustAccuracy: 2 / 3 }],
  inProgress: { attack: 'apgd-t', points: [0, 2], batchesDone: 1 },
};

beforeAll(async () => {
  await useCpuBackend();
  net = trainTinyNet({ numClasses: 4, n: 40 });
  // The tiny net's held-out points as a split (8-bit pixels, as datasets keep them).
  const images = Uint8Array.from(net.x.dataSync(), (v) => Math.round(v * 255));
  test = { images, labels: Int32Array.from(net.y.dataSync()), n: 40, shape: [8, 8, 1] };
  dir = mkdtempSync(join(tmpdir(), 'rftbench-aa-state-'));
});

afterAll(() => {
  net.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('AutoAttack state file', () => {
  it('has no state before the first save, then reads back what was saved, leaving no temporary file', () => {
    const path = join(dir, 'round-trip.json');
    const store = fileStateStore(path);
    expect(store.load()).toBeUndefined();
    store.save(STATE);
    expect(store.load()).toEqual(STATE);
    expect(fileStateStore(path).load()).toEqual(STATE);
    store.save({ ...STATE, runAttacks: ['apgd-ce', 'apgd-t'], inProgress: undefined });
    expect(fileStateStore(path).load()).toMatchObject({ runAttacks: ['apgd-ce', 'apgd-t'] });
    expect(readdirSync(dir)).toEqual(['round-trip.json']);
  });

  it('names the file and what is wrong with it', () => {
    const bad = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return () => fileStateStore(path).load();
    };
    expect(bad('torn.json', '{"format": "rftbench-auto')).toThrow(
      /torn\.json is not an AutoAttack state file \(not valid JSON/,
    );
    expect(bad('other.json', '{"format": "rftbench-records/1"}')).toThrow(
      /other\.json is not an AutoAttack state file \(format 'rftbench-records\/1'\)/,
    );
    const flags = JSON.stringify({ ...STATE, robustFlags: [true, 'no', true] });
    expect(bad('flags.json', flags)).toThrow(/flags\.json: invalid state file\n {2}robustFlags\.1: /);
    const points = JSON.stringify({ ...STATE, inProgress: { attack: 'apgd-t', points: [0, -2], batchesDone: 1 } });
    expect(bad('points.json', points)).toThrow(/points\.json: invalid state file\n {2}inProgress\.points\.1: /);
  });

  it('lets the AutoAttack metric resume from the file after an interruption and end as an uninterrupted run', async () => {
    const overrides = { apgd: { nIter: 10 }, apgdT: { nIter: 10, nTargetClasses: 3 } };
    const config = {
      version: 'custom' as const,
      attacks: ['apgd-ce' as const, 'apgd-t' as const],
      n: 40,
      batchSize: 10,
      overrides,
    };
    const opts: AutoAttackMetricOptions = { threat: { norm: 'Linf', eps: 0.08 }, config, seed: 6 };
    const logits = net.model;
    const full = await evaluateAutoAttack(logits, test, opts);
    expect(full.report.robustAccuracy).toBeLessThan(full.report.cleanAccuracy);

    const path = join(dir, 'metric-state.json');
    const killed = evaluateAutoAttack(logits, test, {
      ...opts,
      state: path,
      onProgress: (p) => {
        if (p.attack === 'apgd-ce' && p.batch === 3) throw new Error('killed');
      },
    });
    await expect(killed).rejects.toThrow('killed');
    const saved = JSON.parse(readFileSync(path, 'utf8')) as AutoAttackState;
    expect(saved).toMatchObject({ runAttacks: [], inProgress: { attack: 'apgd-ce', batchesDone: 3 } });

    const lines: string[] = [];
    const resumed = await evaluateAutoAttack(logits, test, { ...opts, state: path, log: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/^restored state/);
    expect(resumed.report.resumed).toBe(true);
    expect(resumed.metric.details.resumed).toBe(true);
    expect(resumed.metric.value).toBe(full.metric.value);
    expect(resumed.report.robustFlags).toEqual(full.report.robustFlags);
    expect(resumed.components).toEqual(full.components);
    // A finished state is resumed with nothing left to attack.
    const done = await evaluateAutoAttack(logits, test, { ...opts, state: path });
    expect(done.report.robustFlags).toEqual(full.report.robustFlags);
    expect(done.report.robustAccuracyAfter).toEqual(full.report.robustAccuracyAfter);
  });
});
