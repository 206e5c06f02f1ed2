/**
 * A submission by bundle only: an entry in a folder outside the repository (with a local helper) goes through the
 * real `rftbench submit` to a real leaderboard on 127.0.0.1, which stores its code; the folder is deleted; a real
 * `rftbench nightly` re-measures the self-reported cell from the stored code, and the board marks it verified.
 * Every link of the `POST /api/submit` answer resolves to a 200 page, before and after.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Submission } from '../../../../results/submission-bundle.ts';
import { parseSubmission } from '../../../../results/submission-bundle.ts';
import { startServer, type RunningServer } from '../../../../leaderboard/server.ts';
import { Store } from '../../../../results/store.ts';
import { writeTempEntry } from '../../../support/temp-entry.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-bundle-only-'));
const data = join(dir, 'data');

function rftbench(...args: string[]): Promise<{ status: number | null; out: string; err: string }> {
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

describe('a submission re-run from its bundle alone', () => {
  let server: RunningServer;
  const db = join(dir, 'board.db');
  beforeAll(async () => {
    Store.open(db).close();
    server = await startServer({ dbPath: db, port: 0, token: 'sesame' });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the code, re-measures it in the nightly and marks the cell verified', async () => {
    const entryDir = mkdtempSync(join(tmpdir(), 'rftbench-outside-entry-'));
    const entry = writeTempEntry(entryDir, 'outside-scaled', 0.5);
    const out = join(dir, 'bundle.json');
    const r = await rftbench(
      'submit',
      entry,
      '--tier',
      'smoke',
      '--out',
      out,
      '--to',
      server.url,
      '--token',
      'sesame',
      '--keep-models',
      'none',
    );
    expect(r.status, r.err).toBe(0);
    rmSync(entryDir, { recursive: true, force: true }); // from here on the entry exists only in the store
    expect(existsSync(entry)).toBe(false);

    const bundle = JSON.parse(readFileSync(out, 'utf8')) as Submission;
    const files = bundle.entry.sources.files.map((f) => f.path);
    expect(files.some((p) => p.endsWith('/entry.ts'))).toBe(true);
    expect(files.some((p) => p.endsWith('/weight.ts'))).toBe(true);
    // The harness is not shipped: the server runs its own.
    expect(files.some((p) => p.includes('methods/define.ts') || p.includes('harness/'))).toBe(false);
    // A tampered file is refused by name.
    const forged = structuredClone(bundle);
    forged.entry.sources.files[0].text += '\n// changed';
    expect(() => parseSubmission(forged, 'forged')).toThrow(/entry\.sources\.files\.0\.sha256 does not match its text/);
    const escaping = structuredClone(bundle);
    escaping.entry.sources.files[0].path = '../etc/x.ts';
    expect(() => parseSubmission(escaping, 'escaping')).toThrow(/must be a plain relative path/);

    const answer = JSON.parse(r.out.slice(r.out.indexOf('{', r.out.indexOf('posted to')))) as {
      runId: string;
      url: string;
      cellUrls: string[];
    };
    const links = [answer.url, ...answer.cellUrls];
    expect(links.length).toBe(1 + bundle.cells.length);
    for (const link of links) expect((await fetch(new URL(link, server.url))).status, link).toBe(200);
    const runPage = await (await fetch(new URL(answer.url, server.url))).text();
    expect(runPage).toContain('Submission of outside-scaled');
    expect(runPage).toContain('weight.ts');

    const nightly = await rftbench(
      'nightly',
      '--suite',
      'smoke',
      '--db',
      db,
      '--out',
      join(dir, 'nightly'),
      '--date',
      '2026-04-01',
      '--keep-models',
      'none',
    );
    expect(nightly.out).toContain(`submission ${answer.runId} (outside-scaled): 1 cells measured`);
    expect(nightly.err).toContain('re-running outside-scaled from its stored code');

    const cellId = bundle.cells[0].id;
    const store = Store.open(db, { readonly: true });
    const cell = store.getCell(cellId)!;
    store.close();
    expect(cell.verification).toBe('measured');
    expect((cell.provenance.code as { method: { files: number } }).method.files).toBeGreaterThan(2);
    // Deterministic entry on the same backend: the measurement equals the claim.
    const claimed = (cell.artifacts.selfReported as { metrics: { name: string; value: number }[] }).metrics;
    expect(Object.fromEntries(cell.metrics.map((m) => [m.name, m.value]))).toEqual(
      Object.fromEntries(claimed.map((m) => [m.name, m.value])),
    );
    const page = await (await fetch(`${server.url}/cell/${cellId}`)).text();
    expect(page).toContain('Submission re-measured');
    expect(page).toMatch(/<span class="badge measured"[^>]*>verified<\/span>/);
    for (const link of links) expect((await fetch(new URL(link, server.url))).status, link).toBe(200);
    expect(await (await fetch(new URL(answer.url, server.url))).text()).toContain('re-measured: verified');
  }, 420_000);
});
