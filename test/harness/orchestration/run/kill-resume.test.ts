/**
 * SIGKILL `rftbench run` at seeded random moments (start-up, source pre-training, fine-tuning, evaluation,
 * and right after a cell is written), several times, then let it finish: the final store equals an
 * uninterrupted run's cell for cell (ids, statuses, metric values bit for bit), finished cells are never
 * redone, and the killed runs are marked interrupted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { Store } from '../../../../results/store.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = join(root, 'harness/orchestration/cli/rftbench.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rftbench-kill-'));
const db = join(dir, 'kill.db');
// Its own data dir: the kills also land in source pre-training, whose cache write must be atomic too.
const args = [cli, 'run', '--suite', 'smoke', '--db', db, '--data', join(dir, 'data')];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cellsOf(path: string): { id: string; status: string; finishedAt: number; metrics: Record<string, number> }[] {
  try {
    const store = Store.open(path, { readonly: true });
    try {
      return store.listCells().map((c) => ({
        id: c.id,
        status: c.status,
        finishedAt: c.finishedAt,
        metrics: Object.fromEntries(c.metrics.map((m) => [m.name, m.value])),
      }));
    } finally {
      store.close();
    }
  } catch {
    return []; // not created yet
  }
}

/** Starts the run and SIGKILLs it when `when()` holds (polled), or after `timeoutMs`. */
async function runAndKill(when: () => boolean, timeoutMs: number): Promise<void> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const started = Date.now();
  while (child.exitCode === null && !when() && Date.now() - started < timeoutMs)
    await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await exited;
}

describe('kill -9 and resume', () => {
  it('ends equal to an uninterrupted run after kills at random moments, redoing no finished cell', async () => {
    const reference = join(dir, 'reference.db');
    const ref = spawnSync(
      process.execPath,
      [cli, 'run', '--suite', 'smoke', '--db', reference, '--data', join(dir, 'ref-data')],
      { cwd: root, encoding: 'utf8' },
    );
    expect(ref.status, ref.stderr).toBe(0);

    const rng = new Rng(20261122);
    const finishedBefore = new Map<string, number>();
    for (let k = 0; k < 4; k++) {
      await runAndKill(() => false, 500 + Math.floor(rng.next() * 9000));
      for (const c of cellsOf(db)) {
        // A cell written before a kill is never rewritten by a later run.
        if (finishedBefore.has(c.id)) expect(c.finishedAt).toBe(finishedBefore.get(c.id));
        finishedBefore.set(c.id, c.finishedAt);
      }
    }
    // And once right after a cell lands in the store.
    const count = cellsOf(db).length;
    if (count < 2) await runAndKill(() => cellsOf(db).length > count, 240_000);
    for (const c of cellsOf(db)) {
      if (finishedBefore.has(c.id)) expect(c.finishedAt).toBe(finishedBefore.get(c.id));
      finishedBefore.set(c.id, c.finishedAt);
    }

    const done = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    expect(done.status, done.stderr).toBe(0);
    const final = cellsOf(db);
    for (const c of final) if (finishedBefore.has(c.id)) expect(c.finishedAt).toBe(finishedBefore.get(c.id));
    const strip = (cs: ReturnType<typeof cellsOf>) =>
      cs.map(({ id, status, metrics }) => ({ id, status, metrics })).sort((a, b) => a.id.localeCompare(b.id));
    expect(strip(final)).toEqual(strip(cellsOf(reference)));

    const store = Store.open(db, { readonly: true });
    try {
      const statuses = store.listRuns().map((r) => r.status);
      expect(statuses).not.toContain('running');
      expect(statuses.filter((s) => s === 'completed').length).toBeGreaterThanOrEqual(1);
    } finally {
      store.close();
    }
  }, 600_000);
});
