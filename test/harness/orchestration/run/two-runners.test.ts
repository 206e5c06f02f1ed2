/**
 * Two `rftbench run` processes started together on one store (and one data folder) share the smoke suite's
 * cells: each cell is computed by exactly one of them and recorded exactly once, both exit 0, and no claim
 * is left behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type NodeRun, runNode } from '../../../support/run-node.ts';
import { expandSuite } from '../../../../harness/protocol/cells.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { resolveMethods } from '../../../../harness/orchestration/run/runner.ts';
import { listClaims } from '../../../../results/claims.ts';
import { Store } from '../../../../results/store.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = join(root, 'harness/orchestration/cli/rftbench.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rftbench-two-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(db: string): Promise<NodeRun> {
  return runNode([cli, 'run', '--suite', 'smoke', '--db', db, '--data', join(dir, 'data')], {
    cwd: root,
    env: { ...process.env, RFTBENCH_THREADS: '1' },
  });
}

describe('two runners on one store', () => {
  it('compute every cell once between them and record each exactly once', async () => {
    const db = join(dir, 'shared.db');
    const [one, two] = await Promise.all([run(db), run(db)]);
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);

    const started = (log: string) => [...log.matchAll(/\] (\S+ · \S+ · seed \d+): start\b/gm)].map((m) => m[1]);
    const all = [...started(one.stderr), ...started(two.stderr)];
    const suiteCells = expandSuite((await resolveMethods(loadSuite('smoke'))).suite);
    expect(new Set(all).size, `a cell started twice:\n${all.join('\n')}`).toBe(all.length);
    expect(all.length).toBe(suiteCells.length);
    // Started together, they reach the cells together: one finds the other's claim and moves on (unless a very
    // slow start let the other finish everything first, when the late one finds every cell stored).
    const skipped = /: skipped: being run by run \S+ \(pid \d+ on /;
    const allStored = new RegExp(`: ${suiteCells.length} cells, ${suiteCells.length} already in `);
    const shared = [one, two].some((r) => skipped.test(r.stderr) || allStored.test(r.stderr));
    expect(shared, `${one.stderr}\n---\n${two.stderr}`).toBe(true);

    const store = Store.open(db, { readonly: true });
    try {
      const cells = store.listCells();
      expect(cells.map((c) => c.id).sort()).toEqual(suiteCells.map((c) => c.id).sort()); // each once, none lost
      expect(cells.every((c) => c.status === 'completed')).toBe(true);
      const runs = store.listRuns();
      expect(runs.filter((r) => r.status === 'completed').length).toBe(runs.length);
      // Each cell's record names the run that computed it, one of the two.
      expect(new Set(cells.map((c) => c.runId)).size).toBeLessThanOrEqual(2);
      expect(listClaims(store)).toEqual([]);
    } finally {
      store.close();
    }
    // Both print the whole table: the cells the other one computed appear as stored.
    for (const out of [one, two])
      expect(out.stdout.match(/synthetic-transfer\S*\s+\S+\s+0\s+(completed|stored)/g)?.length).toBe(all.length);
  });
});
