/**
 * The `methods` table on a real SQLite file: upserts where a registry entry's row wins over a submission's, a
 * submission bundle writing its entry's row through `ingestSubmission`, `merge` carrying the rows, and a store
 * written before the table (its migrations stop before it) read without error and upgraded when opened to write.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { hashOf } from '../../harness/protocol/cells.ts';
import { loadSuite } from '../../harness/protocol/suites.ts';
import { ingestSubmission } from '../../results/ingest-submission.ts';
import { mergeStores } from '../../results/merge.ts';
import { getMethodInfo, listMethodInfos, putMethodInfos, type NewMethodInfo } from '../../results/method-info.ts';
import { Store } from '../../results/store.ts';
import { parseSubmission } from '../../results/submission-bundle.ts';
import { sha256Hex } from '../../results/submission-sources.ts';
import { oldStore } from '../support/old-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-methods-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (id: string, title: string, origin: NewMethodInfo['origin'], updatedAt = 1): NewMethodInfo => ({
  id,
  title,
  description: `${title}, described`,
  paper: null,
  configSchema: { type: 'object' },
  defaults: {},
  origin,
  updatedAt,
});

/** A valid bundle of one completed cell for entry `id` (its cell id hashed from its spec, its file's sha256). */
function bundle(id: string, title: string) {
  const text = `export default { id: '${id}' };\n`;
  const spec = { method: { id, config: {} }, seed: 0 };
  return parseSubmission(
    JSON.parse(
      JSON.stringify({
        format: 'rftbench-submission/1',
        createdAt: '2026-01-01T00:00:00Z',
        entry: {
          id,
          title,
          description: 'a submitted entry',
          paper: { title: 'Its paper', url: 'https://example.org/p' },
          file: 'entry.ts',
          sha256: sha256Hex(text),
          sources: {
            repo: '',
            entry: 'mine/entry.ts',
            files: [{ path: 'mine/entry.ts', sha256: sha256Hex(text), bytes: text.length, text }],
          },
          configSchema: { type: 'object', properties: { lr: { type: 'number', default: 0.1 } } },
          defaults: { lr: 0.1 },
        },
        suite: loadSuite('smoke'),
        checks: { deterministic: true, leakedTensors: 0, budgetSecondsPerCell: 60, slowestCellSeconds: 1 },
        environment: { commit: 'c', backend: 'wasm' },
        cells: [
          {
            id: hashOf(spec),
            taskId: 'synthetic-transfer/linf-8',
            methodId: id,
            seed: 0,
            status: 'completed',
            spec,
            provenance: {},
            artifacts: {},
            startedAt: 1,
            finishedAt: 2,
            trainSeconds: 1,
            evalSeconds: 1,
            metrics: [{ name: 'clean', value: 0.5, n: 10, ciLow: 0.2, ciHigh: 0.8, details: {} }],
          },
        ],
      }),
    ),
    'test bundle',
  );
}

describe('the methods table', () => {
  it("upserts rows; a submission's description never replaces the registry's", () => {
    const store = Store.open(join(dir, 'upsert.db'));
    try {
      putMethodInfos(store, [row('at', 'PGD-AT', 'registry'), row('mine', 'Mine v1', 'submission')]);
      putMethodInfos(store, [row('at', 'Someone else', 'submission', 2), row('mine', 'Mine v2', 'submission', 2)]);
      expect(getMethodInfo(store, 'at')).toMatchObject({ title: 'PGD-AT', origin: 'registry', updatedAt: 1 });
      expect(getMethodInfo(store, 'mine')).toMatchObject({ title: 'Mine v2', origin: 'submission' });
      // The registry's entry, once it has that id, is the description.
      putMethodInfos(store, [
        row('mine', 'Mine (registered)', 'registry', 3),
        row('at', 'PGD-AT, retitled', 'registry', 3),
      ]);
      expect(listMethodInfos(store).map((m) => [m.id, m.title, m.origin])).toEqual([
        ['at', 'PGD-AT, retitled', 'registry'],
        ['mine', 'Mine (registered)', 'registry'],
      ]);
      expect(getMethodInfo(store, 'at')!.configSchema).toEqual({ type: 'object' });
    } finally {
      store.close();
    }
  });

  it("a submission writes its entry's title, paper and config schema, but not over a registry entry's row", () => {
    const store = Store.open(join(dir, 'ingest.db'));
    try {
      ingestSubmission(store, bundle('my-entry', 'My entry'), 5);
      expect(getMethodInfo(store, 'my-entry')).toEqual({
        id: 'my-entry',
        title: 'My entry',
        description: 'a submitted entry',
        paper: { title: 'Its paper', url: 'https://example.org/p' },
        configSchema: { type: 'object', properties: { lr: { type: 'number', default: 0.1 } } },
        defaults: { lr: 0.1 },
        origin: 'submission',
        updatedAt: 5,
      });
      putMethodInfos(store, [row('standard', 'Standard fine-tuning', 'registry')]);
      ingestSubmission(store, bundle('standard', 'Not the real standard'), 6);
      expect(getMethodInfo(store, 'standard')).toMatchObject({ title: 'Standard fine-tuning', origin: 'registry' });
      expect(store.listCells({ methodId: 'standard' })).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it("merge keeps each method's row, the registry's over a submission's", () => {
    const a = Store.open(join(dir, 'merge-a.db'));
    putMethodInfos(a, [row('at', 'PGD-AT', 'registry'), row('mine', 'Mine v1', 'submission', 1)]);
    a.close();
    const b = Store.open(join(dir, 'merge-b.db'));
    putMethodInfos(b, [row('at', 'PGD-AT (submitted)', 'submission', 9), row('mine', 'Mine v2', 'submission', 2)]);
    b.close();
    mergeStores([join(dir, 'merge-a.db'), join(dir, 'merge-b.db')], join(dir, 'merged.db'));
    const out = Store.open(join(dir, 'merged.db'), { readonly: true });
    try {
      expect(listMethodInfos(out).map((m) => [m.id, m.title])).toEqual([
        ['at', 'PGD-AT'],
        ['mine', 'Mine v2'],
      ]);
    } finally {
      out.close();
    }
  });

  it('a store written before the table reads as describing no method, and gains the table when opened to write', () => {
    const path = join(dir, 'old.db');
    oldStore(path, [{ id: 'c1', methodId: 'at' }]);
    const ro = Store.open(path, { readonly: true });
    try {
      expect(ro.hasTable('methods')).toBe(false);
      expect(listMethodInfos(ro)).toEqual([]);
      expect(getMethodInfo(ro, 'at')).toBeUndefined();
    } finally {
      ro.close();
    }
    const rw = Store.open(path);
    try {
      expect(rw.hasTable('methods')).toBe(true);
      expect(rw.listCells().map((c) => c.id)).toEqual(['c1']);
      putMethodInfos(rw, [row('at', 'PGD-AT', 'registry')]);
      expect(getMethodInfo(rw, 'at')!.title).toBe('PGD-AT');
    } finally {
      rw.close();
    }
  });

  it('the old-store helper stops the migrations exactly before the methods table', () => {
    const path = join(dir, 'old-check.db');
    oldStore(path, []);
    const sqlite = new Database(path, { readonly: true });
    try {
      const tables = (
        sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
      ).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['runs', 'cells', 'metrics']));
      expect(tables).not.toContain('methods');
      const applied = sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
      const folder = join(import.meta.dirname, '../../results/migrations');
      const sqlFiles = readdirSync(folder)
        .filter((f) => f.endsWith('.sql'))
        .sort();
      const methodsAt = sqlFiles.findIndex((f) =>
        readFileSync(join(folder, f), 'utf8').includes('CREATE TABLE `methods`'),
      );
      expect(methodsAt).toBeGreaterThan(0);
      expect(applied.n).toBe(methodsAt);
    } finally {
      sqlite.close();
    }
  });
});
