/**
 * The store's `models` and `evaluations` tables on real SQLite files: a store made with the previous schema
 * (the first migration only) opens read-only without them and upgrades in place keeping its rows; a cell's
 * model row lands in the cell's transaction or not at all; merging stores carries both tables.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeStores } from '../../results/merge.ts';
import { Store, type NewCell, type NewEvaluation, type NewMetric, type NewModel } from '../../results/store.ts';
import { cellRow } from '../support/store-rows.ts';

const migrations = fileURLToPath(new URL('../../results/migrations', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-models-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUN = {
  id: 'run-1',
  suite: 'smoke',
  tier: 'smoke',
  command: 'test',
  startedAt: 1,
  status: 'completed',
  commit: 'abc',
  backend: 'wasm',
  environment: {},
} as const;

const cell = (id: string, over: Partial<NewCell> = {}) =>
  cellRow(id, { suite: 'smoke', tier: 'smoke', taskId: 'toy/linf-8', ...over });
const metric = (name: string, value = 0.5): NewMetric => ({
  name,
  value,
  n: 100,
  ciLow: value - 0.1,
  ciHigh: value + 0.1,
  details: {},
});
const model = (cellId: string, sha = 'ab'.repeat(32)): NewModel => ({
  cellId,
  sha256: sha,
  path: `/models/${sha}.safetensors`,
  bytes: 1234,
  unloadable: null,
  createdAt: 30,
});
const evaluation = (id: string, cellId: string): NewEvaluation => ({
  id,
  cellId,
  attack: 'clean',
  settings: { n: 100 },
  metrics: [{ ...metric('clean', 0.5) }],
  modelSha256: 'ab'.repeat(32),
  provenance: {},
  createdAt: 40,
});

/** A store as the previous rftbench made it: only the first migration applied, one cell in it. */
function oldStore(path: string): void {
  const folder = join(dir, `migrations-0-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(folder, 'meta'), { recursive: true });
  const journal = JSON.parse(readFileSync(join(migrations, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  const first = journal.entries[0];
  cpSync(join(migrations, `${first.tag}.sql`), join(folder, `${first.tag}.sql`));
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: [first] }));
  const sqlite = new Database(path);
  try {
    migrate(drizzle(sqlite), { migrationsFolder: folder });
    sqlite
      .prepare(
        "INSERT INTO runs (id, suite, tier, command, started_at, status, \"commit\", backend, environment) VALUES ('run-1', 'smoke', 'smoke', 'old', 1, 'completed', 'abc', 'wasm', '{}')",
      )
      .run();
    sqlite
      .prepare(
        `INSERT INTO cells (id, suite, tier, task_id, method_id, seed, status, run_id, spec, provenance, artifacts, started_at, finished_at, train_seconds, eval_seconds)
         VALUES ('old-cell', 'smoke', 'smoke', 'toy/linf-8', 'at', 0, 'completed', 'run-1', '{}', '{}', '{}', 1, 2, 3, 4)`,
      )
      .run();
    sqlite
      .prepare(
        "INSERT INTO metrics (cell_id, name, value, n, ci_low, ci_high, details) VALUES ('old-cell', 'clean', 0.75, 100, 0.6, 0.8, '{}')",
      )
      .run();
    const tables = sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).not.toContain('models');
  } finally {
    sqlite.close();
  }
}

describe('kept models in the store', () => {
  it('an old store opens read-only without the new tables, then upgrades in place keeping its rows', () => {
    const path = join(dir, 'old.db');
    oldStore(path);
    const ro = Store.open(path, { readonly: true });
    try {
      expect(ro.getCell('old-cell')?.metrics.map((m) => m.value)).toEqual([0.75]);
      expect(ro.getModel('old-cell')).toBeUndefined();
      expect(ro.evaluationsOf('old-cell')).toEqual([]);
      expect(ro.listModels()).toEqual([]);
    } finally {
      ro.close();
    }
    const store = Store.open(path);
    try {
      expect(store.getCell('old-cell')?.metrics.map((m) => [m.name, m.value])).toEqual([['clean', 0.75]]);
      store.recordCell(cell('new-cell'), [metric('clean')], model('new-cell'));
      expect(store.getModel('new-cell')).toMatchObject({ sha256: 'ab'.repeat(32), bytes: 1234 });
      store.recordEvaluation(evaluation('e1', 'old-cell'));
      expect(store.evaluationsOf('old-cell').map((e) => [e.id, e.attack, e.metrics[0].value])).toEqual([
        ['e1', 'clean', 0.5],
      ]);
    } finally {
      store.close();
    }
    const raw = new Database(path, { readonly: true });
    try {
      expect(
        (raw.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n,
      ).toBeGreaterThanOrEqual(2);
    } finally {
      raw.close();
    }
  });

  it('writes the model row in the cell transaction: a bad row leaves no cell', () => {
    const store = Store.open(join(dir, 'tx.db'));
    try {
      store.startRun({ ...RUN });
      expect(() => store.recordCell(cell('c1'), [metric('clean')], model('other-cell'))).toThrow(
        /model row for cell other-cell/,
      );
      expect(store.getCell('c1')).toBeUndefined();
      expect(store.getModel('other-cell')).toBeUndefined();
      // A failed cell retried: its row is replaced and the model recorded with the completed one.
      store.recordCell(cell('c2', { status: 'failed', error: 'diverged' }), []);
      store.recordCell(cell('c2'), [metric('clean')], model('c2'));
      expect(store.getModel('c2')?.cellId).toBe('c2');
      expect(() => store.recordEvaluation(evaluation('e-orphan', 'no-such-cell'))).toThrow();
    } finally {
      store.close();
    }
  });

  it('merging stores carries models and evaluations, and merging into the result again loses none', () => {
    const a = join(dir, 'a.db');
    const b = join(dir, 'b.db');
    const into = join(dir, 'merged.db');
    for (const [path, id] of [
      [a, 'cell-a'],
      [b, 'cell-b'],
    ] as const) {
      const s = Store.open(path);
      s.startRun({ ...RUN });
      s.recordCell(cell(id), [metric('clean')], model(id, id === 'cell-a' ? 'aa'.repeat(32) : 'bb'.repeat(32)));
      s.recordEvaluation(evaluation(`eval-${id}`, id));
      s.close();
    }
    // The same cell without its model (kept nowhere else) in a third store: the kept model wins.
    const c = join(dir, 'c.db');
    const sc = Store.open(c);
    sc.startRun({ ...RUN });
    sc.recordCell(cell('cell-a', { finishedAt: 5 }), [metric('clean')]);
    sc.close();
    mergeStores([c, a, b], into);
    mergeStores([a], into);
    const m = Store.open(into, { readonly: true });
    try {
      expect(m.listModels().map((r) => [r.cellId, r.sha256])).toEqual([
        ['cell-a', 'aa'.repeat(32)],
        ['cell-b', 'bb'.repeat(32)],
      ]);
      expect(
        m
          .listEvaluations()
          .map((e) => e.id)
          .sort(),
      ).toEqual(['eval-cell-a', 'eval-cell-b']);
    } finally {
      m.close();
    }
  });
});
