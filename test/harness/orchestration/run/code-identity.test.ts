/**
 * Code identity end to end: a method entry (outside the repository, with a local helper) runs the smoke suite into
 * a real store; the same code again is skipped; a change to the helper re-runs the cell, both records stay in the
 * store's history, and the board's cell page shows the newer number and a two-point history. Plus the walk itself
 * and `--force`'s checks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../../leaderboard/app.tsx';
import { expandSuite } from '../../../../harness/protocol/cells.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import {
  codeIdentities,
  localImportGraph,
  localSpecifiers,
  methodCode,
  registeredEntryFiles,
} from '../../../../harness/orchestration/run/code-identity.ts';
import { parseForce } from '../../../../harness/orchestration/run/rerun-policy.ts';
import { resolveMethods, runSuite } from '../../../../harness/orchestration/run/runner.ts';
import { suiteFor } from '../../../../harness/orchestration/submit/checks.ts';
import { loadEntryFile } from '../../../../harness/orchestration/submit/load-entry.ts';
import { cellHistory } from '../../../../results/history.ts';
import { Store } from '../../../../results/store.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import { writeTempEntry } from '../../../support/temp-entry.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-code-identity-'));
const quiet = () => {};

beforeAll(async () => {
  process.env.RFTBENCH_DATA = join(dir, 'data');
  await useBackend();
});
afterAll(async () => {
  await releaseBackend();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local-import walk', () => {
  it('follows runtime imports (static, re-export, side effect, dynamic), not type-only ones or comments', () => {
    const src = `import type { A } from './a.ts';\nimport { b } from './b.ts';\nexport { c } from './c.ts';\nimport './d.ts';\n// import { e } from './e.ts';\nconst f = await import('./f.ts');\nimport { z } from 'zod';`;
    expect(localSpecifiers(src).sort()).toEqual(['./b.ts', './c.ts', './d.ts', './f.ts']);
  });

  it('finds every registered entry, and hashes a method by its files', () => {
    const files = registeredEntryFiles();
    expect([...files.keys()]).toEqual(expect.arrayContaining(['standard', 'at', 'rift', 'twins-at', 'cartl']));
    const graph = localImportGraph([files.get('rift')!]);
    expect(graph.some((f) => f.endsWith('methods/rift/mrc.ts'))).toBe(true);
    expect(graph.some((f) => f.endsWith('methods/define.ts'))).toBe(true);
    const ids = codeIdentities(['standard', 'at']);
    expect(ids.get('standard')!.evaluation.hash).toBe(ids.get('at')!.evaluation.hash);
    expect(ids.get('standard')!.hash).not.toBe(ids.get('at')!.hash);
    expect(ids.get('standard')!.evaluation.files).toBeGreaterThan(20);
  });

  it('checks --force against the suite, naming the bad id', async () => {
    const cells = expandSuite((await resolveMethods(loadSuite('smoke'))).suite);
    expect(parseForce('at', cells)).toEqual({ kind: 'method', id: 'at' });
    expect(parseForce(cells[0].id, cells)).toEqual({ kind: 'cell', id: cells[0].id });
    expect(() => parseForce('nope', cells)).toThrow(
      /--force 'nope': not a method id or cell id of this suite \(methods: standard, at/,
    );
    const r = spawnSync(
      process.execPath,
      ['harness/orchestration/cli/rftbench.mjs', 'run', '--suite', 'smoke', '--dry-run', '--force', 'nope'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--force 'nope': not a method id or cell id");
  });
});

describe('a changed method re-runs its cell', () => {
  it('skips the same code, re-runs changed code, keeps both records and shows the history', async () => {
    const store = Store.open(join(dir, 'store.db'));
    try {
      const run = async (file: string, force?: string) => {
        const { entry } = await loadEntryFile(file);
        const suite = suiteFor(loadSuite('smoke'), entry);
        const [s] = await runSuite({
          suite,
          store,
          command: 'test',
          log: quiet,
          extraEntries: new Map([[entry.id, entry]]),
          entryFiles: new Map([[entry.id, file]]),
          keepModels: 'none',
          force,
        });
        return s;
      };
      const v1 = writeTempEntry(join(dir, 'v1'), 'scaled-clean', 1);
      const first = await run(v1);
      expect(first.status).toBe('completed');
      const cellId = first.cell.id;
      expect((await run(v1)).status).toBe('skipped');

      // The helper changes (the entry file does not): a new code hash, the same cell id.
      const v2 = writeTempEntry(join(dir, 'v2'), 'scaled-clean', 0.25);
      expect(methodCode(v2).hash).not.toBe(methodCode(v1).hash);
      const second = await run(v2);
      expect(second.cell.id).toBe(cellId);
      expect(second.status).toBe('completed');
      const history = cellHistory(store, cellId);
      expect(history).toHaveLength(2);
      expect(new Set(history.map((m) => m.codeHash)).size).toBe(2);
      const latest = store.getCell(cellId)!;
      expect(latest.runId).toBe(history[1].runId);
      expect((latest.provenance.code as { hash: string }).hash).toBe(history[1].codeHash);
      // A quarter of the loss is a quarter of every gradient: the numbers differ.
      const pgd = (i: number) => history[i].metrics.pgd.value;
      expect(pgd(1)).not.toBe(pgd(0));
      expect(latest.metrics.find((m) => m.name === 'pgd')!.value).toBe(pgd(1));
      // Unchanged code is reused again, and --force measures it anyway.
      expect((await run(v2)).status).toBe('skipped');
      expect((await run(v2, 'scaled-clean')).status).toBe('completed');
      expect(cellHistory(store, cellId)).toHaveLength(3);

      const app = createApp(store);
      const html = await (await app.request(`/cell/${cellId}`)).text();
      expect(html).toContain('<section id="history">');
      expect(html).toContain('3 measurements');
      expect(html.match(/<svg class="chart history"[^>]*data-metric="pgd"/g)).toHaveLength(1);
      const pgdChart = html.slice(
        html.indexOf('data-metric="pgd"'),
        html.indexOf('</svg>', html.indexOf('data-metric="pgd"')),
      );
      expect(pgdChart.match(/<circle class="point"/g)).toHaveLength(3);
      expect(pgdChart).toContain(`data-value="${pgd(1)}"`);
      const api = (await (await app.request(`/api/history?cell=${cellId}`)).json()) as {
        series: { metric: string; points: { value: number; codeHash: string }[] }[];
      };
      expect(api.series.find((s) => s.metric === 'pgd')!.points.map((p) => p.value)).toEqual([pgd(0), pgd(1), pgd(1)]);
      const csv = await (await app.request(`/api/history?cell=${cellId}&format=csv`)).text();
      expect(csv.split('\r\n')[0]).toContain('cell_id,series,metric,night');
      expect(csv.split('\r\n').filter((l) => l.includes(',pgd,'))).toHaveLength(3);
    } finally {
      store.close();
    }
  }, 240_000);
});
