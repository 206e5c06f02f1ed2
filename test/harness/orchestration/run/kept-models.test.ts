/**
 * Kept cell models end to end: the smoke suite through the real runner keeps every cell's evaluated model
 * (content-addressed file, row in the store); `--keep-models none` keeps none; the site streams the file;
 * `rftbench eval --cell` reproduces the cell's numbers exactly from it, records the result, and refuses a
 * tampered or missing file naming its path.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile } from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { CELL_MODEL_KIND, cellModelPath, modelsDir } from '../../../../harness/orchestration/run/cell-model.ts';
import { runSuite, type CellSummary } from '../../../../harness/orchestration/run/runner.ts';
import { shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { createApp } from '../../../../leaderboard/app.tsx';
import type { CellDetail } from '../../../../leaderboard/schemas.ts';
import { Store } from '../../../../results/store.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-kept-'));
const data = join(dir, 'data');
const dbPath = join(dir, 'kept.db');
const quiet = () => {};
const suite = loadSuite('smoke');
let summaries: CellSummary[];

function rftbench(...args: string[]) {
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RFTBENCH_DATA: data },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  process.env.RFTBENCH_DATA = data;
  const store = Store.open(dbPath);
  try {
    summaries = await runSuite({ suite, store, command: 'test', log: quiet });
  } finally {
    store.close();
  }
});

afterAll(async () => {
  await shutdownBackend();
  rmSync(dir, { recursive: true, force: true });
});

describe('kept cell models', () => {
  it('every completed cell leaves a content-addressed model file whose sha256 is in the store', () => {
    expect(summaries.map((s) => s.status)).toEqual(['completed', 'completed']);
    const store = Store.open(dbPath);
    try {
      const rows = store.listModels();
      expect(rows.map((r) => r.cellId).sort()).toEqual(summaries.map((s) => s.cell.id).sort());
      for (const row of rows) {
        const bytes = readFileSync(row.path);
        expect(sha256Of(bytes)).toBe(row.sha256);
        expect(row.path).toBe(cellModelPath(row.sha256, data));
        expect(row.bytes).toBe(bytes.length);
        expect(row.unloadable).toBeNull();
        const file = readCheckpointFile(row.path);
        const cell = summaries.find((s) => s.cell.id === row.cellId)!.cell;
        expect(file.metadata).toMatchObject({
          kind: CELL_MODEL_KIND,
          cellId: cell.id,
          spec: { arch: suite.tasks[0].source.arch, numClasses: 2 },
        });
        expect(JSON.stringify(file.metadata.cellSpec)).toBe(JSON.stringify(cell.spec));
        expect(file.metadata.provenance).toMatchObject({ sourceId: store.getCell(cell.id)!.provenance.sourceId });
        // PyTorch names and layout: BatchNorm buffers by name, the linear head stored [out, in].
        expect([...file.tensors.keys()].some((k) => k.endsWith('.running_mean'))).toBe(true);
        const head = [...file.tensors].find(([k, t]) => k.endsWith('.weight') && t.shape.length === 2)!;
        expect(head[1].shape[0]).toBe(2);
      }
      // No temporary files are left beside the kept ones.
      expect(readdirSync(modelsDir(data)).sort()).toEqual(rows.map((r) => `${r.sha256}.safetensors`).sort());
    } finally {
      store.close();
    }
  });

  it('--keep-models none keeps no file and no row', async () => {
    const before = readdirSync(modelsDir(data)).sort();
    const store = Store.open(join(dir, 'none.db'));
    try {
      const out = await runSuite({ suite, store, command: 'test', log: quiet, keepModels: 'none' });
      expect(out.map((s) => s.status)).toEqual(['completed', 'completed']);
      expect(store.listModels()).toEqual([]);
      for (const s of out) expect(store.getModel(s.cell.id)).toBeUndefined();
      // The site says so, with a 404 and a message.
      const res = await createApp(store).request(`http://localhost/cell/${out[0].cell.id}/model.safetensors`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('kept no model');
    } finally {
      store.close();
    }
    expect(readdirSync(modelsDir(data)).sort()).toEqual(before);
  });

  it('checks the --keep-models value', () => {
    const r = rftbench('run', '--suite', 'smoke', '--db', join(dir, 'bad.db'), '--keep-models', 'some');
    expect(r.status).toBe(2);
    expect(r.err).toContain("--keep-models must be all or none, got 'some'");
    expect(existsSync(join(dir, 'bad.db'))).toBe(false);
  });

  it('the site shows the model and streams the file', async () => {
    const store = Store.open(dbPath, { readonly: true });
    try {
      const app = createApp(store);
      const row = store.listModels()[0];
      const page = await (await app.request(`http://localhost/cell/${row.cellId}`)).text();
      expect(page).toContain(row.sha256);
      expect(page).toContain(`/cell/${row.cellId}/model.safetensors`);
      const detail = (await (await app.request(`http://localhost/api/cell/${row.cellId}`)).json()) as CellDetail;
      expect(detail.model).toMatchObject({ sha256: row.sha256, bytes: row.bytes, unloadable: null });
      for (let i = 0; i < 2; i++) {
        // Twice: the second answer must not come from the page cache as text.
        const res = await app.request(`http://localhost/cell/${row.cellId}/model.safetensors`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/octet-stream');
        expect(res.headers.get('content-disposition')).toMatch(
          /^attachment; filename="rftbench-[0-9a-f]+-[0-9a-f]{12}\.safetensors"$/,
        );
        expect(res.headers.get('content-length')).toBe(String(row.bytes));
        expect(sha256Of(new Uint8Array(await res.arrayBuffer()))).toBe(row.sha256);
      }
      const none = await app.request('http://localhost/cell/no-such-cell/model.safetensors');
      expect(none.status).toBe(404);
      expect(await none.text()).toContain('No cell &#39;no-such-cell&#39;');
      // A file gone from disk is a 404 that says so.
      renameSync(row.path, `${row.path}.away`);
      try {
        const gone = await app.request(`http://localhost/cell/${row.cellId}/model.safetensors`);
        expect(gone.status).toBe(404);
        expect(await gone.text()).toContain('no longer on this server');
      } finally {
        renameSync(`${row.path}.away`, row.path);
      }
    } finally {
      store.close();
    }
  });

  it('eval --cell --attack clean reproduces the recorded clean accuracy exactly and records it', () => {
    const cellId = summaries[1].cell.id;
    const r = rftbench('eval', '--cell', cellId, '--db', dbPath, '--attack', 'clean', '--json');
    expect(r.status, r.err).toBe(0);
    const out = JSON.parse(r.out) as {
      metrics: { name: string; value: number; n: number; details: { correct: number } }[];
    };
    const store = Store.open(dbPath);
    try {
      const clean = store.getCell(cellId)!.metrics.find((m) => m.name === 'clean')!;
      expect(out.metrics).toHaveLength(1);
      expect(out.metrics[0]).toMatchObject({ name: 'clean', value: clean.value, n: clean.n });
      expect(out.metrics[0].details.correct).toBe(clean.details.correct);
      const evals = store.evaluationsOf(cellId);
      expect(evals).toHaveLength(1);
      expect(evals[0]).toMatchObject({ attack: 'clean', modelSha256: store.getModel(cellId)!.sha256 });
      expect(evals[0].metrics[0]).toMatchObject({ name: 'clean', value: clean.value, n: clean.n });
      expect(evals[0].settings).toMatchObject({
        n: suite.tier.evaluation.n,
        seed: summaries[1].cell.spec.seed,
        threat: suite.tasks[0].threat,
      });
    } finally {
      store.close();
    }
  });

  it('eval --cell without --attack runs the cell evaluation again with the same numbers, shown on the cell page', async () => {
    const cellId = summaries[0].cell.id;
    const r = rftbench('eval', '--cell', cellId, '--db', dbPath, '--json');
    expect(r.status, r.err).toBe(0);
    const out = JSON.parse(r.out) as { attack: string; metrics: { name: string; value: number; n: number }[] };
    expect(out.attack).toBe('protocol');
    const store = Store.open(dbPath, { readonly: true });
    try {
      const recorded = store.getCell(cellId)!.metrics;
      const pick = (ms: { name: string; value: number; n: number }[]) => ms.map((m) => [m.name, m.value, m.n]).sort();
      expect(pick(out.metrics)).toEqual(pick(recorded));
      const page = await (await createApp(store).request(`http://localhost/cell/${cellId}`)).text();
      expect(page).toContain('id="evaluations"');
      expect(page).toContain('protocol');
    } finally {
      store.close();
    }
  });

  it('refuses a tampered or missing model file, naming its path', () => {
    const store = Store.open(dbPath, { readonly: true });
    const row = store.listModels()[0];
    store.close();
    const backup = `${row.path}.orig`;
    copyFileSync(row.path, backup);
    try {
      const bytes = readFileSync(row.path);
      bytes[bytes.length - 1] ^= 0xff; // one bit pattern of one weight
      writeFileSync(row.path, bytes);
      let r = rftbench('eval', '--cell', row.cellId, '--db', dbPath, '--attack', 'clean');
      expect(r.status).toBe(1);
      expect(r.err).toContain(row.path);
      expect(r.err).toContain(`the store recorded ${row.sha256}`);
      rmSync(row.path);
      r = rftbench('eval', '--cell', row.cellId, '--db', dbPath, '--attack', 'clean');
      expect(r.status).toBe(1);
      expect(r.err).toContain(row.path);
      r = rftbench('eval', '--cell', 'no-such-cell', '--db', dbPath);
      expect(r.status).toBe(1);
      expect(r.err).toContain(`--cell no-such-cell: no such cell in ${dbPath}`);
      const noStore = join(dir, 'no-such.db');
      r = rftbench('eval', '--cell', row.cellId, '--db', noStore);
      expect(r.status).toBe(1);
      expect(r.err).toContain(`--db ${noStore}: no results store there`);
      expect(existsSync(noStore)).toBe(false);
    } finally {
      renameSync(backup, row.path);
    }
    // Refusals record nothing.
    const after = Store.open(dbPath, { readonly: true });
    try {
      expect(after.evaluationsOf(row.cellId).every((e) => e.modelSha256 === row.sha256)).toBe(true);
    } finally {
      after.close();
    }
  });
});
