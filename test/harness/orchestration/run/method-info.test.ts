/**
 * A run writes what the site shows about its suite's methods (title, paper, config JSON Schema, defaults) into the
 * store when it starts, and the site shows them from there: the smoke suite with the `standard` entry, for real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../../leaderboard/app.tsx';
import type { MethodDetail } from '../../../../leaderboard/schemas.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { describeMethod } from '../../../../harness/orchestration/run/method-info.ts';
import { runSuite } from '../../../../harness/orchestration/run/runner.ts';
import { shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { methods } from '../../../../methods/registry.ts';
import { listMethodInfos } from '../../../../results/method-info.ts';
import { Store } from '../../../../results/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-method-info-'));
afterAll(async () => {
  await shutdownBackend();
  rmSync(dir, { recursive: true, force: true });
});

describe('method info written by the runner', () => {
  it("describes the suite's entries in the store, and the site shows them from there", async () => {
    const standard = await methods.get('standard');
    const suite = { ...loadSuite('smoke'), methods: [{ id: 'standard', config: {} }] };
    const path = join(dir, 'run.db');
    const store = Store.open(path);
    try {
      const [summary] = await runSuite({
        suite,
        store,
        command: 'test',
        dataDir: join(dir, 'data'),
        log: () => {},
        keepModels: 'none',
      });
      expect(summary.status).toBe('completed');
      const rows = listMethodInfos(store);
      expect(rows.map((r) => [r.id, r.title, r.origin])).toEqual([['standard', standard.title, 'registry']]);
      const [row] = rows;
      expect(row.description).toBe(standard.description);
      expect(row.defaults).toEqual(standard.config.parse({}));
      expect(Object.keys((row.configSchema as { properties: object }).properties)).toEqual(Object.keys(row.defaults!));
      expect(row).toMatchObject(describeMethod(standard));
    } finally {
      store.close();
    }
    const site = Store.open(path, { readonly: true });
    try {
      const detail = (await (await createApp(site).request('/api/method/standard')).json()) as MethodDetail;
      expect(detail).toMatchObject({
        title: standard.title,
        registered: true,
        defaults: standard.config.parse({}),
        cells: 1,
      });
      expect(detail.results.map((r) => r.row.title)).toEqual([standard.title]);
    } finally {
      site.close();
    }
  });
});
