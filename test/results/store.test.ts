/**
 * The Store on a real SQLite file in a temporary folder: migrations, atomic writes, the
 * never-overwrite-a-completed-cell rule, and the read methods the leaderboard uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store, type NewMetric } from '../../results/store.ts';
import { cellRow } from '../support/store-rows.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
let store: Store;
let path: string;

beforeEach(() => {
  path = join(dir, `store-${n++}.db`);
  store = Store.open(path);
  store.startRun({
    id: 'run-1',
    suite: 'quick',
    tier: 'quick',
    command: 'rftbench run',
    startedAt: 1,
    status: 'running',
    commit: 'abc',
    backend: 'wasm',
    environment: {},
  });
});
afterEach(() => store.close());

const cell = cellRow;

const m = (name: string, value = 0.5): NewMetric => ({
  name,
  value,
  n: 100,
  ciLow: value - 0.1,
  ciHigh: value + 0.1,
  details: {},
});

describe('Store', () => {
  it('applies the migrations to a new file', () => {
    const raw = new Database(path, { readonly: true });
    try {
      const tables = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((r) => (r as { name: string }).name);
      expect(tables).toEqual(expect.arrayContaining(['cells', 'metrics', 'runs', 'sources', '__drizzle_migrations']));
      expect((raw.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n).toBeGreaterThan(
        0,
      );
    } finally {
      raw.close();
    }
    // Opening again is a no-op for the schema and keeps the data.
    store.recordCell(cell('c1'), [m('clean')]);
    store.close();
    store = Store.open(path);
    expect(store.getCell('c1')?.metrics.map((x) => x.name)).toEqual(['clean']);
  });

  it('writes a cell and its metrics together, and a failing insert leaves nothing', () => {
    store.recordCell(cell('ok'), [m('clean', 0.9), m('pgd', 0.4)]);
    expect(store.getCell('ok')?.metrics.map((x) => [x.name, x.value])).toEqual([
      ['clean', 0.9],
      ['pgd', 0.4],
    ]);
    // Two metrics with the same name violate the (cell, name) key after the cell row went in.
    expect(() => store.recordCell(cell('bad'), [m('clean'), m('clean')])).toThrow();
    expect(store.getCell('bad')).toBeUndefined();
    expect(store.metricsOf('bad')).toEqual([]);
    // A foreign-key failure (unknown run) rolls back too.
    expect(() => store.recordCell(cell('orphan', { runId: 'no-such-run' }), [m('clean')])).toThrow();
    expect(store.getCell('orphan')).toBeUndefined();
  });

  it('refuses to overwrite a completed cell', () => {
    store.recordCell(cell('c'), [m('clean', 0.9)]);
    expect(() => store.recordCell(cell('c'), [m('clean', 0.1)])).toThrow(/already completed/);
    expect(store.getCell('c')?.metrics[0].value).toBe(0.9);
  });

  it('replaces a failed cell (a retry), metrics included', () => {
    store.recordCell(cell('f', { status: 'failed', error: 'diverged' }), [m('clean', 0.1)]);
    store.recordCell(cell('f', { finishedAt: 30 }), [m('clean', 0.8), m('pgd', 0.3)]);
    const got = store.getCell('f')!;
    expect(got.status).toBe('completed');
    expect(got.error).toBeNull();
    expect(got.metrics.map((x) => [x.name, x.value])).toEqual([
      ['clean', 0.8],
      ['pgd', 0.3],
    ]);
  });

  it('filters listCells by suite, task, method and status, oldest first', () => {
    store.recordCell(cell('a', { finishedAt: 30 }), [m('clean')]);
    store.recordCell(cell('b', { methodId: 'standard', finishedAt: 20 }), [m('clean')]);
    store.recordCell(cell('c', { taskId: 'other/linf-8', status: 'failed', error: 'x', finishedAt: 10 }), []);
    store.recordCell(cell('d', { suite: 'nightly', finishedAt: 40 }), [m('clean')]);
    expect(store.listCells().map((c) => c.id)).toEqual(['c', 'b', 'a', 'd']);
    expect(store.listCells({ methodId: 'at' }).map((c) => c.id)).toEqual(['c', 'a', 'd']);
    expect(store.listCells({ taskId: 'fmnist-transfer/linf-8', suite: 'quick' }).map((c) => c.id)).toEqual(['b', 'a']);
    expect(store.listCells({ status: 'failed' }).map((c) => c.id)).toEqual(['c']);
    expect(store.listCells({ suite: 'none' })).toEqual([]);
  });

  it('summarises tasks and methods for the leaderboard, and loads only the metrics asked for', () => {
    store.recordCell(cell('a', { finishedAt: 30 }), [
      m('clean'),
      m('corruption/fog/1'),
      m('autoattack/apgd-ce'),
      m('autoattack'),
    ]);
    store.recordCell(cell('b', { methodId: 'standard', tier: 'smoke', finishedAt: 50 }), [m('clean')]);
    store.recordCell(
      cell('c', { methodId: 'twins-at', status: 'failed', error: 'x', suite: 'nightly', finishedAt: 40 }),
      [],
    );
    expect(store.listTaskTiers()).toEqual([
      {
        taskId: 'fmnist-transfer/linf-8',
        tier: 'quick',
        cells: 2,
        completed: 1,
        methods: 2,
        suites: ['nightly', 'quick'],
        lastFinishedAt: 40,
      },
      {
        taskId: 'fmnist-transfer/linf-8',
        tier: 'smoke',
        cells: 1,
        completed: 1,
        methods: 1,
        suites: ['quick'],
        lastFinishedAt: 50,
      },
    ]);
    expect(store.listMethodIds()).toEqual(['at', 'standard', 'twins-at']);
    expect(store.queryCells({ tier: 'quick' }).map((c) => c.id)).toEqual(['a', 'c']);
    const [a] = store.queryCells({ tier: 'quick', status: 'completed' }, { metrics: ['clean', 'autoattack/'] });
    expect(a.metrics.map((x) => x.name)).toEqual(['autoattack/apgd-ce', 'clean']);
  });

  it('changes dataVersion on every write, from this connection or another one', () => {
    const v0 = store.dataVersion();
    expect(store.dataVersion()).toBe(v0);
    store.recordCell(cell('a'), [m('clean')]);
    const v1 = store.dataVersion();
    expect(v1).not.toBe(v0);
    const reader = Store.open(path, { readonly: true });
    try {
      const r0 = reader.dataVersion();
      store.recordCell(cell('b'), [m('clean')]);
      expect(reader.dataVersion()).not.toBe(r0);
      expect(reader.getCell('b')).toBeDefined();
    } finally {
      reader.close();
    }
  });
});
