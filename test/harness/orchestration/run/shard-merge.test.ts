/**
 * Sharding and merging: shards partition a suite's cells; the shard comes from the flag, Slurm or Kubernetes;
 * two smoke shards run separately and merged equal one unsharded run cell for cell; merges deduplicate,
 * prefer completed records, and refuse disagreeing ones without writing anything.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { expandSuite } from '../../../../harness/protocol/cells.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { resolveShard, shardCells } from '../../../../harness/orchestration/run/shard.ts';
import { mergeStores } from '../../../../results/merge.ts';
import { Store } from '../../../../results/store.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-shard-'));
const data = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rftbench(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RFTBENCH_DATA: data, ...env },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** Cell id → status and metric values, the content a merge must preserve. */
function content(db: string): Record<string, unknown> {
  const store = Store.open(db, { readonly: true });
  try {
    return Object.fromEntries(
      store
        .listCells()
        .map((c) => [
          c.id,
          { status: c.status, metrics: Object.fromEntries(c.metrics.map((m) => [m.name, [m.value, m.n]])) },
        ]),
    );
  } finally {
    store.close();
  }
}

describe('shards', () => {
  it('come from --shard, then Slurm array variables, then a Kubernetes Indexed Job; bad values name the source', () => {
    expect(resolveShard('1/4', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({
      index: 1,
      count: 4,
      from: '--shard',
    });
    expect(
      resolveShard(undefined, { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '3' }),
    ).toEqual({ index: 2, count: 3, from: 'slurm' });
    expect(resolveShard(undefined, { JOB_COMPLETION_INDEX: '0', RFTBENCH_SHARD_COUNT: '2' })).toEqual({
      index: 0,
      count: 2,
      from: 'kubernetes',
    });
    expect(resolveShard(undefined, {})).toBeUndefined();
    expect(() => resolveShard('4/4', {})).toThrow(/--shard: shard index 4 is out of range for 4 shards/);
    expect(() => resolveShard('a/b', {})).toThrow(/--shard must look like I\/N/);
    expect(() => resolveShard(undefined, { JOB_COMPLETION_INDEX: '1' })).toThrow(/RFTBENCH_SHARD_COUNT/);
    expect(() => resolveShard(undefined, { SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '2' })).toThrow(
      /SLURM_ARRAY_TASK_ID must be a non-negative integer/,
    );
  });

  it('partition the cells of a suite: disjoint, complete, balanced', () => {
    const cells = expandSuite(loadSuite('standard'));
    const parts = [0, 1, 2, 3, 4].map((index) => shardCells(cells, { index, count: 5, from: '--shard' }));
    const ids = parts.flat().map((c) => c.id);
    expect(new Set(ids).size).toBe(cells.length);
    expect(ids.length).toBe(cells.length);
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('run separately and merged equal one unsharded run; a disagreeing merge writes nothing', () => {
    const whole = join(dir, 'whole.db');
    const [a, b] = [join(dir, 'a.db'), join(dir, 'b.db')];
    expect(rftbench(['run', '--suite', 'smoke', '--db', whole]).status).toBe(0);
    const r0 = rftbench(['run', '--suite', 'smoke', '--db', a, '--shard', '0/2']);
    expect(r0.status, r0.err).toBe(0);
    expect(r0.err).toContain('shard 0/2 (from --shard)');
    // The second shard as a Slurm array task would see it.
    const r1 = rftbench(['run', '--suite', 'smoke', '--db', b], {
      SLURM_ARRAY_TASK_ID: '1',
      SLURM_ARRAY_TASK_COUNT: '2',
    });
    expect(r1.status, r1.err).toBe(0);
    expect(r1.err).toContain('shard 1/2 (from slurm)');
    expect(Object.keys(content(a))).toHaveLength(1);
    expect(Object.keys(content(b))).toHaveLength(1);

    const merged = join(dir, 'merged.db');
    const m = rftbench(['merge', a, b, '--into', merged]);
    expect(m.status, m.err).toBe(0);
    expect(content(merged)).toEqual(content(whole));
    // Merging again (with the whole run) deduplicates.
    expect(mergeStores([merged, whole], join(dir, 'again.db'))).toMatchObject({ cells: 2, duplicates: 2 });
    expect(content(join(dir, 'again.db'))).toEqual(content(whole));

    // A failed record loses to a completed one.
    const failed = join(dir, 'failed.db');
    copyFileSync(a, failed);
    const sql = new Database(failed);
    sql.exec("DELETE FROM metrics; UPDATE cells SET status = 'failed', error = 'planted'");
    sql.close();
    expect(mergeStores([failed, whole], join(dir, 'fixed.db'))).toMatchObject({ replacedFailed: 1 });
    expect(content(join(dir, 'fixed.db'))).toEqual(content(whole));

    // Two different completed results for one cell: an error naming it and both files, and no output.
    const other = join(dir, 'other.db');
    copyFileSync(a, other);
    const sql2 = new Database(other);
    sql2.exec("UPDATE metrics SET value = value / 2 WHERE name = 'pgd'");
    sql2.close();
    const bad = rftbench(['merge', other, whole, '--into', join(dir, 'bad.db')]);
    expect(bad.status).toBe(1);
    expect(bad.err).toMatch(
      new RegExp(`cell [0-9a-f]{16} .* has different results in ${other} and ${whole}; nothing was written`),
    );
    expect(existsSync(join(dir, 'bad.db'))).toBe(false);
  }, 240_000);
});
