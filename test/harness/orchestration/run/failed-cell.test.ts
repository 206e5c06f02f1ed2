/**
 * A cell whose training diverges fails with where it happened; the suite goes on; --retry-failed reruns it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { runSuite } from '../../../../harness/orchestration/run/runner.ts';
import { shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { Store } from '../../../../results/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-fail-'));
afterAll(async () => {
  await shutdownBackend();
  rmSync(dir, { recursive: true, force: true });
});

describe('failed cells', () => {
  it('records divergence as a failed cell with epoch and step, continues, and retries on request', async () => {
    const smoke = loadSuite('smoke');
    // An absurd learning rate makes the loss overflow within a few steps: the NaN guard must catch it.
    const suite = {
      ...smoke,
      methods: [
        { id: 'standard', config: { lr: 1e30, schedule: 'constant' } },
        { id: 'standard', config: {} },
      ],
    };
    const store = Store.open(join(dir, 'fail.db'));
    try {
      const quiet = () => {};
      const first = await runSuite({ suite, store, command: 'test', dataDir: join(dir, 'data'), log: quiet });
      expect(first.map((s) => s.status)).toEqual(['failed', 'completed']);
      expect(first[0].error).toMatch(/^diverged at epoch 1, step \d+ \(loss (NaN|Infinity)\)$/);
      const failed = store.listCells({ status: 'failed' });
      expect(failed).toHaveLength(1);
      expect(failed[0].error).toBe(first[0].error);
      expect(failed[0].metrics).toEqual([]);

      const again = await runSuite({ suite, store, command: 'test', dataDir: join(dir, 'data'), log: quiet });
      expect(again.map((s) => s.status)).toEqual(['skipped', 'skipped']);
      const retried = await runSuite({
        suite,
        store,
        command: 'test',
        dataDir: join(dir, 'data'),
        log: quiet,
        retryFailed: true,
      });
      expect(retried.map((s) => s.status)).toEqual(['failed', 'skipped']);
      expect(store.listCells()).toHaveLength(2);
    } finally {
      store.close();
    }
  });
});
