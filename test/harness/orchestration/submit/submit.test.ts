/**
 * Submissions end to end: entries are validated (shape, determinism, leaks), a good entry is run through
 * the real `rftbench submit` and posted to a real leaderboard server on 127.0.0.1, which stores it as
 * self-reported and refuses forged or conflicting bundles; a later run of the harness measures the cell
 * and keeps the claim beside the measurement.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { runSuite } from '../../../../harness/orchestration/run/runner.ts';
import type { Submission } from '../../../../results/submission-bundle.ts';
import { checkEntry, suiteFor } from '../../../../harness/orchestration/submit/checks.ts';
import { loadEntryFile } from '../../../../harness/orchestration/submit/load-entry.ts';
import { Store } from '../../../../results/store.ts';
import { startServer, type RunningServer } from '../../../../leaderboard/server.ts';
import { useBackend, releaseBackend } from '../../../support/tf.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const entries = fileURLToPath(new URL('./entries/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-submit-'));
const data = join(dir, 'data');
const quiet = () => {};

beforeAll(async () => {
  await useBackend();
});

afterAll(async () => {
  await releaseBackend();
  rmSync(dir, { recursive: true, force: true });
});

function rftbenchAsync(...args: string[]): Promise<{ status: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
      cwd: root,
      env: { ...process.env, RFTBENCH_DATA: data },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (status) => resolve({ status, out, err }));
  });
}

describe('entry validation', () => {
  it('names every malformed field of an entry, and refuses a built-in id', async () => {
    await expect(loadEntryFile(join(entries, 'malformed.ts'))).rejects.toThrow(
      /invalid method entry[\s\S]*id: must be kebab-case[\s\S]*config: must be a zod schema[\s\S]*fineTune: must be a function/,
    );
    await expect(loadEntryFile(join(entries, 'missing.ts'))).rejects.toThrow(/missing\.ts: no such entry file/);
    const good = await loadEntryFile(join(entries, 'good-head.ts'));
    expect(good.entry.id).toBe('head-only-submitted');
    expect(good.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('catches an entry that leaks tensors and one that is not deterministic', async () => {
    const leaky = await checkEntry((await loadEntryFile(join(entries, 'leaky.ts'))).entry, {
      dataDir: data,
      log: quiet,
    });
    expect(leaky.leakedTensors).toBe(2);
    expect(leaky.problems.join('\n')).toMatch(/leaks tensors: 2 more live tensors/);
    const random = await checkEntry((await loadEntryFile(join(entries, 'nondeterministic.ts'))).entry, {
      dataDir: data,
      log: quiet,
    });
    expect(random.deterministic).toBe(false);
    expect(random.problems.join('\n')).toMatch(/not deterministic/);
    const good = await checkEntry((await loadEntryFile(join(entries, 'good-head.ts'))).entry, {
      dataDir: data,
      log: quiet,
    });
    expect(good.problems).toEqual([]);
    expect(good.leakedTensors).toBeLessThanOrEqual(0);
  }, 240_000);
});

describe('rftbench submit to a leaderboard', () => {
  let server: RunningServer;
  const db = join(dir, 'board.db');
  const token = 'sesame';

  beforeAll(async () => {
    Store.open(db).close();
    server = await startServer({ dbPath: db, port: 0, token });
  });
  afterAll(() => server.close());

  it('posts a bundle the server stores as self-reported, refuses forgeries, and a harness run verifies it', async () => {
    const out = join(dir, 'bundle.json');
    const r = await rftbenchAsync(
      'submit',
      join(entries, 'good-head.ts'),
      '--tier',
      'smoke',
      '--out',
      out,
      '--to',
      server.url,
      '--token',
      token,
    );
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/posted to .*\/api\/submit: .*"verification":"self-reported"/);
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as Submission;
    expect(bundle.entry.sha256).toBe((await loadEntryFile(join(entries, 'good-head.ts'))).sha256);
    expect(bundle.checks).toMatchObject({ deterministic: true, leakedTensors: 0 });

    const cellId = bundle.cells[0].id;
    let store = Store.open(db, { readonly: true });
    expect(store.getCell(cellId)).toMatchObject({
      verification: 'self-reported',
      methodId: 'head-only-submitted',
      status: 'completed',
    });
    store.close();
    const api =
      (await (await fetch(`${server.url}/api/method/head-only-submitted`)).text()) +
      (await (await fetch(`${server.url}/run/${encodeURIComponent(cellId)}`)).text());
    expect(api).toContain('self-reported');
    // The site shows the entry as the bundle described it (title, config schema and defaults), from the store alone.
    const described = (await loadEntryFile(join(entries, 'good-head.ts'))).entry;
    expect(bundle.entry.defaults).toEqual(described.config.parse({}));
    const method = (await (await fetch(`${server.url}/api/method/head-only-submitted`)).json()) as {
      title: string;
      registered: boolean;
      defaults: unknown;
    };
    expect(method).toMatchObject({ title: described.title, registered: true, defaults: described.config.parse({}) });

    const post = (body: unknown, auth = token) =>
      fetch(`${server.url}/api/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
        body: JSON.stringify(body),
      });
    expect((await post(bundle, 'wrong')).status).toBe(401);
    // The same claim twice is a conflict, not a server error.
    const again = await post(bundle);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already submitted');
    const forged = structuredClone(bundle);
    (forged.cells[0].metrics[0] as { value: number }).value = 2;
    let res = await post(forged);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('cells.0.metrics.0.value');
    const renamed = structuredClone(bundle);
    (renamed.cells[0].spec as { seed: number }).seed = 99;
    res = await post(renamed);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('does not match the hash of its spec');

    // The nightly (here: the runner with the entry now known) measures the claimed cell.
    store = Store.open(db);
    try {
      const entry = (await loadEntryFile(join(entries, 'good-head.ts'))).entry;
      const suite = suiteFor(loadSuite('smoke'), entry);
      const [summary] = await runSuite({
        suite,
        store,
        command: 'nightly (test)',
        dataDir: data,
        log: quiet,
        extraEntries: new Map([[entry.id, entry]]),
      });
      expect(summary.status).toBe('completed');
      const cell = store.getCell(cellId)!;
      expect(cell.verification).toBe('measured');
      const claimed = (cell.artifacts.selfReported as { metrics: { name: string; value: number }[] }).metrics;
      // Deterministic entry, same backend: the measurement confirms the claim exactly.
      expect(Object.fromEntries(cell.metrics.map((m) => [m.name, m.value]))).toEqual(
        Object.fromEntries(claimed.map((m) => [m.name, m.value])),
      );
    } finally {
      store.close();
    }
    // A measured cell is never replaced by a submission.
    res = await post(bundle);
    expect(res.status).toBe(409);
  }, 300_000);
});
