/** startServer on a free loopback port, and the load check's bounded loop against it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheck, percentile } from '../../leaderboard/loadcheck.ts';
import { startServer } from '../../leaderboard/server.ts';
import { TASK_A, buildFixtureStore } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startServer', () => {
  it('refuses a missing store with a message saying what to do', async () => {
    await expect(startServer({ dbPath: join(dir, 'none.db'), port: 0 })).rejects.toThrow(
      /no results store at .*none\.db; run a suite first/,
    );
  });

  it('serves the store read-only on 127.0.0.1, sees new results, and closes', async () => {
    const fx = buildFixtureStore(join(dir, 'fx.db'));
    const server = await startServer({ dbPath: fx.path, port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${server.url}/task/${TASK_A}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<table class="sortable" id="leaderboard">');
      const before = ((await (await fetch(`${server.url}/api/methods`)).json()) as { methods: { id: string }[] })
        .methods.length;
      // The harness writes through its own connection while the site serves.
      fx.store.startRun({
        id: 'late',
        suite: 'quick',
        tier: 'quick',
        command: 'test',
        startedAt: 1,
        status: 'completed',
        commit: 'c',
        backend: 'wasm',
        environment: {},
      });
      fx.store.recordCell(
        {
          id: 'late-cell',
          suite: 'quick',
          tier: 'quick',
          taskId: TASK_A,
          methodId: 'late-method',
          seed: 0,
          status: 'completed',
          runId: 'late',
          spec: {},
          provenance: {},
          artifacts: {},
          startedAt: 1,
          finishedAt: 2,
          trainSeconds: 1,
          evalSeconds: 1,
        },
        [{ name: 'clean', value: 0.5, n: 10, ciLow: 0.2, ciHigh: 0.8, details: {} }],
      );
      const after = ((await (await fetch(`${server.url}/api/methods`)).json()) as { methods: { id: string }[] })
        .methods;
      expect(after.length).toBe(before + 1);
      expect(after.map((m) => m.id)).toContain('late-method');
    } finally {
      await server.close();
      fx.store.close();
    }
    await expect(fetch(server.url)).rejects.toThrow();
  });
});

describe('loadcheck', () => {
  it('computes percentiles by rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(xs, 50), percentile(xs, 99), percentile(xs, 100)]).toEqual([50, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
  });

  it('runs a bounded burst on loopback and refuses other hosts', async () => {
    const fx = buildFixtureStore(join(dir, 'load.db'));
    fx.store.close();
    const server = await startServer({ dbPath: join(dir, 'load.db'), port: 0 });
    try {
      const r = await loadCheck(`${server.url}/task/${TASK_A}`, { requests: 60, concurrency: 20, maxSeconds: 60 });
      expect(r).toMatchObject({ requests: 60, errors: 0, errorRate: 0, statuses: { '200': 60 }, stoppedEarly: false });
      expect(r.p50).toBeLessThanOrEqual(r.p99);
    } finally {
      await server.close();
    }
    await expect(loadCheck('http://example.com/', { requests: 1, concurrency: 1, maxSeconds: 1 })).rejects.toThrow(
      /only loopback/,
    );
  });
});
