/**
 * Three nights in one store: nights 1 and 2 are written through the Store (the committed smoke baseline's numbers,
 * with `standard`'s PGD accuracy planted 40 points higher), night 3 is a real `rftbench nightly` run of the smoke
 * suite into the same store. The gate fails night 3 naming the cell, `/changes` lists it, and the cell's history
 * chart shows the drop in real Chromium (screenshot saved to test-artifacts/history-drop.png).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../../../harness/orchestration/evaluate/wilson.ts';
import { readRecordsFile } from '../../../../harness/orchestration/gate/records.ts';
import { expandSuite } from '../../../../harness/protocol/cells.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { resolveMethods } from '../../../../harness/orchestration/run/runner.ts';
import { startServer, type RunningServer } from '../../../../leaderboard/server.ts';
import { cellHistory } from '../../../../results/history.ts';
import { Store } from '../../../../results/store.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'rftbench-nights-'));
const NIGHTS = ['2026-03-01', '2026-03-02', '2026-03-03'];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Nights 1-2: the baseline's numbers as if measured then, `standard`'s PGD raised by 0.4. */
async function plantNights(db: string): Promise<string> {
  const suite = (await resolveMethods(loadSuite('smoke'))).suite;
  const baseline = readRecordsFile(join(root, 'results', 'baselines', 'smoke.json'));
  const store = Store.open(db);
  let standard = '';
  try {
    for (const [i, night] of NIGHTS.slice(0, 2).entries()) {
      const at = Date.parse(`${night}T02:00:00Z`);
      const runId = `planted-${night}`;
      store.startRun({
        id: runId,
        suite: 'smoke',
        tier: 'smoke',
        command: 'planted',
        startedAt: at,
        finishedAt: at + 1000,
        status: 'completed',
        commit: `c0ffee${i}`,
        backend: 'wasm',
        environment: {},
      });
      for (const cell of expandSuite(suite)) {
        const rec = baseline.records.find((r) => r.cellId === cell.id)!;
        if (cell.spec.method.id === 'standard') standard = cell.id;
        const metrics = rec.metrics.map((m) => {
          const value =
            cell.spec.method.id === 'standard' && m.name === 'pgd'
              ? Math.round(Math.min(1, m.value + 0.4) * m.n) / m.n
              : m.value;
          const [ciLow, ciHigh] = wilsonInterval(Math.round(value * m.n), m.n);
          return { ...m, value, ciLow, ciHigh, details: {} };
        });
        const row = {
          id: cell.id,
          suite: 'smoke',
          tier: 'smoke',
          taskId: cell.spec.task.id,
          methodId: cell.spec.method.id,
          seed: cell.spec.seed,
          runId,
          spec: cell.spec as unknown as Record<string, unknown>,
        };
        const provenance = { commit: `c0ffee${i}`, backend: 'wasm', code: { hash: 'planted' } };
        store.recordCell(
          {
            ...row,
            status: 'completed',
            provenance,
            artifacts: {},
            startedAt: at,
            finishedAt: at + 500,
            trainSeconds: 1,
            evalSeconds: 1,
          },
          metrics,
          undefined,
          { night, replace: true },
        );
      }
    }
  } finally {
    store.close();
  }
  return standard;
}

describe('three nights in one store', () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('gates night 3 against night 2, lists the drop since last night and charts it', async () => {
    const out = join(dir, 'nightly');
    const db = join(out, 'store.db');
    const standard = await plantNights(db);
    const r = spawnSync(
      process.execPath,
      [
        'harness/orchestration/cli/rftbench.mjs',
        'nightly',
        '--suite',
        'smoke',
        '--out',
        out,
        '--date',
        NIGHTS[2],
        '--keep-models',
        'none',
      ],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, RFTBENCH_DATA: join(dir, 'data') },
      },
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain(`REGRESSED: cell ${standard} (synthetic-transfer/linf-8 · standard · seed 0) pgd`);
    const report = readFileSync(join(out, NIGHTS[2], 'report.md'), 'utf8');
    expect(report).toContain(`compared with ${NIGHTS[1]}`);
    expect(report).toMatch(/\| REGRESSED \| synthetic-transfer\/linf-8 \| standard \| 0 \| pgd \|/);
    const store = Store.open(db, { readonly: true });
    const history = cellHistory(store, standard);
    store.close();
    expect(history.map((m) => m.night)).toEqual(NIGHTS);
    expect(history[2].codeHash).toMatch(/^[0-9a-f]{16}$/);
    // Re-running the same night measures nothing again (resumable within a night).
    const again = spawnSync(
      process.execPath,
      ['harness/orchestration/cli/rftbench.mjs', 'nightly', '--suite', 'smoke', '--out', out, '--date', NIGHTS[2]],
      { cwd: root, encoding: 'utf8', env: { ...process.env, RFTBENCH_DATA: join(dir, 'data') } },
    );
    expect(again.stderr).toContain('2 already in');
    expect(again.status).toBe(1);

    server = await startServer({ dbPath: db, port: 0, hostname: '127.0.0.1' });
    const changes = (await (await fetch(`${server.url}/api/changes`)).json()) as {
      night: string;
      previous: string;
      rows: { cellId: string; verdict: string; metric: string }[];
    };
    expect(changes).toMatchObject({ night: NIGHTS[2], previous: NIGHTS[1] });
    expect(changes.rows).toContainEqual(
      expect.objectContaining({ cellId: standard, verdict: 'regressed', metric: 'pgd' }),
    );
    expect(await (await fetch(`${server.url}/api/changes?format=csv`)).text()).toContain(`regressed,${standard}`);

    if (!existsSync(CHROMIUM)) return console.warn(`${CHROMIUM} is missing: the screenshot part is skipped`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/changes`);
    expect(await page.locator(`#changes tr.regressed[data-cell="${standard}"]`).count()).toBeGreaterThan(0);
    await page.goto(`${server.url}/cell/${standard}`);
    const chart = page.locator('svg.history[data-metric="pgd"]');
    const points = await chart.locator('circle.point').evaluateAll((cs) =>
      cs.map((c) => ({
        night: c.getAttribute('data-night'),
        value: Number(c.getAttribute('data-value')),
        y: Number(c.getAttribute('cy')),
      })),
    );
    expect(points.map((p) => p.night)).toEqual(NIGHTS);
    // The drop: night 3 is lower than night 2, drawn lower (SVG y grows downwards).
    expect(points[2].value).toBeLessThan(points[1].value - 0.3);
    expect(points[2].y).toBeGreaterThan(points[1].y);
    const markers = await chart
      .locator('g.marker.regressed')
      .evaluateAll((ms) => ms.map((m) => m.getAttribute('data-night')));
    expect(markers).toEqual([NIGHTS[2]]);
    expect(await chart.locator('polygon.band').count()).toBe(1);
    await chart.scrollIntoViewIfNeeded();
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'history-drop.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    // The task page charts every cell over the nights.
    await page.goto(`${server.url}/task/synthetic-transfer/linf-8`);
    expect(await page.locator('#history svg.history').count()).toBeGreaterThan(0);
    expect(
      await page
        .locator(`#history svg.history[data-metric="pgd"] g.series[data-cell="${standard}"] g.marker.regressed`)
        .count(),
    ).toBe(1);
    expect(errors).toEqual([]);
  }, 240_000);
});
