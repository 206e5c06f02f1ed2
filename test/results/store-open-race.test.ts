/**
 * Processes that open one new store file at the same moment (runners started together on a cluster share a
 * store) each bring the schema up to date without failing: drizzle reads which migrations are applied before it
 * takes the write lock, so all but the first found the tables already there ("CREATE TABLE `cells`" failed), and
 * switching a new file to WAL returned SQLITE_BUSY at once. Before the fix six processes over six rounds failed
 * in two runs of three.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type NodeRun, runNode } from '../support/run-node.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MIGRATIONS = readdirSync(join(root, 'results/migrations')).filter((f) => f.endsWith('.sql')).length;
const dir = mkdtempSync(join(tmpdir(), 'rftbench-open-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A process that waits until `at` (epoch ms), opens the store at `db`, closes it and exits 0. */
function opener(db: string, at: number): Promise<NodeRun> {
  const script = `
    const { Store } = await import(${JSON.stringify(join(root, 'results/store.ts'))});
    while (Date.now() < ${at}) {}
    Store.open(${JSON.stringify(db)}).close();
  `;
  return runNode(['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
}

describe('Store.open by several processes at once', () => {
  it('every process opens a new store file, and the schema is applied once', async () => {
    for (let round = 0; round < 4; round++) {
      const db = join(dir, `store-${round}.db`);
      // Start together: far enough ahead for every process to have loaded the store module.
      const at = Date.now() + 2500;
      const results = await Promise.all(Array.from({ length: 6 }, () => opener(db, at)));
      for (const r of results) expect(r.status, r.stderr).toBe(0);
      const sqlite = new Database(db, { readonly: true });
      try {
        const count = (query: string) => (sqlite.prepare(query).get() as { n: number }).n;
        // Each migration recorded once: none applied twice by two processes.
        expect(count('SELECT count(*) AS n FROM __drizzle_migrations')).toBe(MIGRATIONS);
        expect(count("SELECT count(*) AS n FROM sqlite_master WHERE name = 'cells'")).toBe(1);
      } finally {
        sqlite.close();
      }
    }
  });
});
