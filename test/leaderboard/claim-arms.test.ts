/**
 * Two configs of one method on one task are two arms (issue 14): the claim view pairs seeds within an arm and
 * judges the claim once per arm, labelled so the two can be told apart; the reported-vs-measured rows average
 * each config's seeds apart. Real SQLite store, the site's route, planted measurements.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../harness/orchestration/evaluate/wilson.ts';
import { createApp } from '../../leaderboard/app.tsx';
import type { Papers } from '../../leaderboard/papers.ts';
import { configHashOf } from '../../leaderboard/read/cell-facts.ts';
import { Store, type NewMetric } from '../../results/store.ts';
import { cellRow } from '../support/store-rows.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-claim-arms-'));
const CLAIMS_TASK = 'fmnist-transfer/linf-8';
const REPORTED_TASK = 'salman-r50-linf4-to-cifar10/linf-8';
const SEEDS = [0, 1, 2];
const jitter = (seed: number) => [-0.004, 0, 0.004][seed];

interface ArmRow {
  method: string;
  config: Record<string, unknown>;
  clean: number;
  autoattack: number;
}

/** Clean and AutoAttack accuracy per method arm (before the seed's jitter). */
const CLAIM_ARMS: ArmRow[] = [
  { method: 'at', config: { lr: 0.05 }, clean: 0.84, autoattack: 0.45 },
  { method: 'trades', config: { lr: 0.05 }, clean: 0.86, autoattack: 0.41 },
  { method: 'twins-trades', config: { lr: 0.03 }, clean: 0.88, autoattack: 0.42 },
  // TWINS-AT at two lrs: one point worse than AT at 0.05, two points better at 0.01, on every seed.
  { method: 'twins-at', config: { lr: 0.05, lambda: 1 }, clean: 0.83, autoattack: 0.44 },
  { method: 'twins-at', config: { lr: 0.01, lambda: 1 }, clean: 0.86, autoattack: 0.47 },
];

const N = 10000;
const metric = (name: string, value: number): NewMetric => {
  const correct = Math.round(value * N);
  const [ciLow, ciHigh] = wilsonInterval(correct, N);
  return { name, value: correct / N, n: N, ciLow, ciHigh, details: { correct } };
};

let store: Store;
let serial = 0;

function plant(suite: string, taskId: string, target: string, arm: ArmRow) {
  for (const seed of SEEDS) {
    const task = { id: taskId, target, threat: { norm: 'Linf', eps: 8 / 255 } };
    const spec = { seed, protocol: 1, task, method: { id: arm.method, config: arm.config } };
    store.recordCell(cellRow(`cell-${serial++}`, { suite, tier: 'quick', taskId, methodId: arm.method, seed, spec }), [
      metric('clean', arm.clean + jitter(seed)),
      metric('autoattack', arm.autoattack + jitter(seed)),
    ]);
  }
}

beforeAll(() => {
  store = Store.open(join(dir, 'arms.db'));
  store.startRun({
    id: 'run-1',
    suite: 'claims-quick',
    tier: 'quick',
    command: 'test',
    startedAt: 1,
    status: 'running',
    commit: 'x',
    backend: 'wasm',
    environment: {},
  });
  for (const arm of CLAIM_ARMS) plant('claims-quick', CLAIMS_TASK, 'fashion-mnist[5-9]', arm);
  // The TWINS protocol's suite on CIFAR-10, where AutoLoRa prints vanilla RFT (our trades): two trades configs.
  plant('twins', REPORTED_TASK, 'cifar10', { method: 'trades', config: { beta: 6 }, clean: 0.86, autoattack: 0.5 });
  plant('twins', REPORTED_TASK, 'cifar10', { method: 'trades', config: { beta: 3 }, clean: 0.9, autoattack: 0.4 });
  store.finishRun('run-1', 'completed');
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function papersOf(taskId: string): Promise<Papers> {
  const res = await createApp(store).request(`http://localhost/api/papers/${encodeURIComponent(taskId)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Papers;
}

const hashOf = (config: Record<string, unknown>) => configHashOf({ spec: { protocol: 1, method: { config } } });

describe('claims and reported numbers per (method, config)', () => {
  it('judges a claim once per config of a method, pairing seeds within a config and labelling each arm', async () => {
    const views = (await papersOf(CLAIMS_TASK)).claims.filter((c) => c.id === 'twins-beats-at-and-trades');
    expect(views).toHaveLength(2);
    const fast = hashOf({ lr: 0.05, lambda: 1 });
    const slow = hashOf({ lr: 0.01, lambda: 1 });
    const byHash = (h: string) =>
      views.find((v) => v.arms.some((a) => a.methodId === 'twins-at' && a.configHash === h))!;
    const [at05, at01] = [byHash(fast), byHash(slow)];
    // Only the method with two configs gets a config label; the others keep their id.
    expect(at05.arms.find((a) => a.methodId === 'twins-at')!.label).toBe(`twins-at [config ${fast}: lr 0.05]`);
    expect(at01.arms.find((a) => a.methodId === 'twins-at')!.label).toBe(`twins-at [config ${slow}: lr 0.01]`);
    expect(at05.arms.find((a) => a.methodId === 'at')!.label).toBe('at');
    const clean = (v: Papers['claims'][number]) =>
      v.comparisons.find((c) => c.better === 'twins-at' && c.metric === 'clean')!;
    // Paired within one config: every seed differs by exactly -1 (lr 0.05) or +2 (lr 0.01), never a mix.
    expect(clean(at05)).toMatchObject({ betterLabel: `twins-at [config ${fast}: lr 0.05]`, thanLabel: 'at' });
    expect(clean(at05).seeds).toEqual(SEEDS);
    for (const d of clean(at05).diffs) expect(d).toBeCloseTo(-1, 9);
    for (const d of clean(at01).diffs) expect(d).toBeCloseTo(2, 9);
    expect(clean(at05).verdict).toBe('contradicted');
    expect(clean(at01).verdict).toBe('supported');
    expect(at05.verdict).toBe('contradicted');
    expect(at01.verdict).toBe('supported');
  });

  it('shows each arm on the task page', async () => {
    const res = await createApp(store).request(`http://localhost/task/${encodeURIComponent(CLAIMS_TASK)}`);
    const html = await res.text();
    expect(html).toContain(`twins-at [config ${hashOf({ lr: 0.05, lambda: 1 })}: lr 0.05] vs at, Clean greater`);
    expect(html).toContain(`twins-at [config ${hashOf({ lr: 0.01, lambda: 1 })}: lr 0.01] vs at, Clean greater`);
  });

  it('puts each config beside the published number with its own mean', async () => {
    const rows = (await papersOf(REPORTED_TASK)).reported.filter((r) => r.metric === 'clean');
    expect(rows.map((r) => r.arm.label).sort()).toEqual(
      [`trades [config ${hashOf({ beta: 3 })}: beta 3]`, `trades [config ${hashOf({ beta: 6 })}: beta 6]`].sort(),
    );
    const mean = (beta: number) => rows.find((r) => r.arm.configHash === hashOf({ beta }))!.measured!;
    expect(mean(6)).toMatchObject({ seeds: 3 });
    expect(mean(6).mean).toBeCloseTo(0.86, 9);
    expect(mean(3).mean).toBeCloseTo(0.9, 9);
  });
});
