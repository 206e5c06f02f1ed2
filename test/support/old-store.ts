/**
 * A results store as an rftbench from before the `methods` table wrote it: the migrations up to (not including) the
 * one that creates that table, then a run, cells and their metrics inserted as the store of that time did.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from '../../results/schema.ts';

const MIGRATIONS = fileURLToPath(new URL('../../results/migrations', import.meta.url));

export interface OldCell {
  id: string;
  methodId: string;
  taskId?: string;
  /** Accuracies by metric name (n = 100). */
  metrics?: Record<string, number>;
}

export function oldStore(path: string, cells: readonly OldCell[]): void {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  const cut = journal.entries.findIndex((e) =>
    readFileSync(join(MIGRATIONS, `${e.tag}.sql`), 'utf8').includes('CREATE TABLE `methods`'),
  );
  if (cut < 0) throw new Error(`old-store: no migration in ${MIGRATIONS} creates the methods table`);
  const folder = mkdtempSync(join(tmpdir(), 'rftbench-old-migrations-'));
  const sqlite = new Database(path);
  try {
    mkdirSync(join(folder, 'meta'));
    const before = journal.entries.slice(0, cut);
    for (const e of before) copyFileSync(join(MIGRATIONS, `${e.tag}.sql`), join(folder, `${e.tag}.sql`));
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: before }));
    const db = drizzle(sqlite, { schema });
    migrate(db, { migrationsFolder: folder });
    db.insert(schema.runs)
      .values({
        id: 'old-run',
        suite: 's',
        tier: 'quick',
        command: 'rftbench run',
        startedAt: 1,
        status: 'completed',
        commit: 'c',
        backend: 'wasm',
        environment: {},
      })
      .run();
    for (const c of cells) {
      const taskId = c.taskId ?? 'toy/linf-8';
      db.insert(schema.cells)
        .values({
          id: c.id,
          suite: 's',
          tier: 'quick',
          taskId,
          methodId: c.methodId,
          seed: 0,
          status: 'completed',
          runId: 'old-run',
          spec: {
            task: { id: taskId, threat: { norm: 'Linf', eps: 8 / 255 } },
            method: { id: c.methodId, config: {} },
          },
          provenance: { backend: 'wasm' },
          artifacts: {},
          startedAt: 1,
          finishedAt: 2,
          trainSeconds: 10,
          evalSeconds: 5,
        })
        .run();
      for (const [name, value] of Object.entries(c.metrics ?? {})) {
        const [ciLow, ciHigh] = [Math.max(0, value - 0.1), Math.min(1, value + 0.1)];
        db.insert(schema.metrics).values({ cellId: c.id, name, value, n: 100, ciLow, ciHigh, details: {} }).run();
      }
    }
  } finally {
    sqlite.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
