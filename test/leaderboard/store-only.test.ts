/**
 * The site reads only the store. A real server process (a child `node --import tsx` with a module tracer,
 * test/support/trace-modules.mjs) serves every kind of page over the fixture store and never loads tfjs, the method
 * registry or any tensor, attack or dataset code; method titles, papers and config tables come from the store's
 * `methods` rows; a store written before that table renders every page with method ids as titles.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../leaderboard/app.tsx';
import type { Board, MethodDetail, MethodSummary } from '../../leaderboard/schemas.ts';
import { putMethodInfos } from '../../results/method-info.ts';
import { Store } from '../../results/store.ts';
import { oldStore } from '../support/old-store.ts';
import { TASK_A, buildFixtureStore, cellKey, type Fixture } from './fixtures.ts';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'rftbench-store-only-'));
const enc = encodeURIComponent;
let fx: Fixture;

beforeAll(() => {
  fx = buildFixtureStore(join(dir, 'fixture.db'));
});
afterAll(() => {
  fx.store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `script` (ESM, top-level await) in a fresh node with tsx and the tracer; its stdout and every module it loaded. */
function traced(script: string, env: Record<string, string> = {}): { out: string; modules: string[] } {
  const trace = join(dir, `trace-${Math.random().toString(36).slice(2)}.txt`);
  const args = ['--import', 'tsx', '--import', './test/support/trace-modules.mjs', '--input-type=module', '-e', script];
  const out = execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env, RFTBENCH_TRACE_MODULES: trace },
  });
  const modules = [...new Set(readFileSync(trace, 'utf8').split('\n').filter(Boolean))].map((m) =>
    m.replace(/^file:\/\//, ''),
  );
  return { out, modules };
}

const h1 = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? null;

describe('the server process', () => {
  it('serves every kind of page without loading tfjs, the method registry or any tensor code', () => {
    const paths = [
      '/',
      '/methods',
      '/method/rift',
      '/method/twins-bn',
      `/task/${enc(TASK_A)}`,
      `/cell/${fx.ids.get(cellKey(TASK_A, 'rift', 0))}`,
      '/compare?a=at&b=rift',
      '/api/methods',
      '/api/method/at',
      `/api/task/${enc(TASK_A)}`,
      '/changes',
    ];
    const script = `
      const { startServer } = await import('./leaderboard/server.ts');
      await import('./leaderboard/app.tsx');
      const server = await startServer({ dbPath: process.env.DB, port: 0 });
      const pages = {};
      for (const p of JSON.parse(process.env.PATHS)) {
        const res = await fetch(server.url + p);
        pages[p] = { status: res.status, body: await res.text() };
      }
      await server.close();
      process.stdout.write(JSON.stringify(pages));`;
    const { out, modules } = traced(script, { DB: fx.path, PATHS: JSON.stringify(paths) });
    const pages = JSON.parse(out) as Record<string, { status: number; body: string }>;
    for (const p of paths) expect(pages[p].status, p).toBe(200);
    // Titles from the store's methods rows, in the child process too.
    expect(h1(pages['/method/rift'].body)).toBe('RiFT (robust critical fine-tuning)');
    expect(pages['/methods'].body).toContain('Adversarial fine-tuning (PGD-AT)');

    const inRepo = modules
      .filter((m) => m.startsWith(`${root}/`) && !m.includes('/node_modules/'))
      .map((m) => m.slice(root.length + 1));
    // The trace saw the site itself (so an empty trace cannot pass).
    const site = [
      'leaderboard/server.ts',
      'leaderboard/app.tsx',
      'leaderboard/read/leaderboard.ts',
      'results/store.ts',
    ];
    expect(inRepo).toEqual(expect.arrayContaining(site));
    expect(modules.filter((m) => m.includes('@tensorflow/'))).toEqual([]);
    expect(inRepo.filter((m) => m === 'methods/registry.ts' || m === 'methods/define.ts')).toEqual([]);
    const code =
      /^(harness\/(foundation\/(tensor|nn|models|checkpoint)|orchestration\/(train|evaluate|run|submit))\/|attacks\/|datasets\/)/;
    // Plain-data vocabulary the protocol re-exports from attacks/ (the norm list, AutoAttack's components) is fine.
    const vocabulary = ['attacks/types.ts', 'attacks/autoattack-components.ts'];
    expect(inRepo.filter((m) => code.test(m) && !vocabulary.includes(m))).toEqual([]);
  });

  it('the tracer does see tfjs and the registry when they are loaded', () => {
    const { modules } = traced("const { methods } = await import('./methods/registry.ts'); await methods.get('at');");
    expect(modules.some((m) => m.includes('/@tensorflow/tfjs-core/'))).toBe(true);
    expect(modules).toContain(join(root, 'methods/registry.ts'));
  });
});

describe('method info from the store', () => {
  it('a methods row gives the method its title, paper and config table on every page; without one, its id', async () => {
    const store = Store.open(join(dir, 'described.db'));
    try {
      store.startRun({
        id: 'r',
        suite: 's',
        tier: 'quick',
        command: 'test',
        startedAt: 1,
        status: 'completed',
        commit: 'c',
        backend: 'wasm',
        environment: {},
      });
      for (const [id, methodId, clean] of [
        ['d1', 'my-method', 0.8],
        ['d2', 'plain-id', 0.7],
      ] as const) {
        store.recordCell(
          {
            id,
            suite: 's',
            tier: 'quick',
            taskId: 'toy/linf-8',
            methodId,
            seed: 0,
            status: 'completed',
            runId: 'r',
            spec: { task: { threat: { norm: 'Linf', eps: 8 / 255 } }, method: { id: methodId, config: {} } },
            provenance: { backend: 'wasm' },
            artifacts: {},
            startedAt: 1,
            finishedAt: 2,
            trainSeconds: 1,
            evalSeconds: 1,
          },
          [
            { name: 'clean', value: clean, n: 100, ciLow: clean - 0.1, ciHigh: clean + 0.1, details: {} },
            { name: 'pgd', value: clean / 2, n: 100, ciLow: 0.3, ciHigh: 0.5, details: {} },
          ],
        );
      }
      putMethodInfos(store, [
        {
          id: 'my-method',
          title: 'My Method (from the store)',
          description: 'Described by the run that wrote it.',
          origin: 'registry',
          updatedAt: 1,
          paper: { title: 'A paper', url: 'https://example.org/paper', venue: 'ICML 2026' },
          configSchema: { type: 'object', properties: { lr: { type: 'number', default: 0.05, exclusiveMinimum: 0 } } },
          defaults: { lr: 0.05 },
        },
      ]);
      const app = createApp(store);
      const get = async (p: string) => {
        const res = await app.request(`http://localhost${p}`);
        expect(res.status, p).toBe(200);
        return res.text();
      };
      const page = await get('/method/my-method');
      expect(h1(page)).toBe('My Method (from the store)');
      expect(page).toContain('href="https://example.org/paper"');
      expect(page).toContain('Described by the run that wrote it.');
      expect(page).toMatch(/<code>lr<\/code><\/td><td>number<\/td><td><code>0\.05<\/code><\/td><td>&gt; 0<\/td>/);
      const board = JSON.parse(await get('/api/task/toy%2Flinf-8')) as Board;
      expect(board.rows.map((r) => [r.methodId, r.title, r.registered])).toEqual([
        ['my-method', 'My Method (from the store)', true],
        ['plain-id', 'plain-id', false],
      ]);
      expect(await get('/cell/d1')).toContain('My Method (from the store)');
      expect(await get('/compare?a=d1&b=plain-id')).toContain('My Method (from the store) · toy/linf-8 · seed 0');
      const plain = await get('/method/plain-id');
      expect(h1(plain)).toBe('plain-id');
      expect(plain).toContain('no description there');
      expect(plain).not.toContain('Configuration defaults');
    } finally {
      store.close();
    }
  });

  it('a store written before the methods table renders every page, each method under its id', async () => {
    const path = join(dir, 'old.db');
    oldStore(path, [
      { id: 'o1', methodId: 'at', metrics: { clean: 0.7, pgd: 0.4 } },
      { id: 'o2', methodId: 'rift', metrics: { clean: 0.8, pgd: 0.45 } },
    ]);
    const store = Store.open(path, { readonly: true });
    try {
      expect(store.hasTable('methods')).toBe(false);
      const app = createApp(store);
      for (const p of [
        '/',
        '/methods',
        '/method/at',
        '/method/rift',
        '/task/toy%2Flinf-8',
        '/cell/o1',
        '/compare?a=at&b=rift',
        '/api/methods',
      ]) {
        expect((await app.request(`http://localhost${p}`)).status, p).toBe(200);
      }
      expect(h1(await (await app.request('/method/rift')).text())).toBe('rift');
      const board = (await (await app.request('/api/task/toy%2Flinf-8')).json()) as Board;
      expect(board.rows.map((r) => [r.methodId, r.title, r.registered, r.rank])).toEqual([
        ['rift', 'rift', false, 1],
        ['at', 'at', false, 2],
      ]);
      const { methods } = (await (await app.request('/api/methods')).json()) as { methods: MethodSummary[] };
      expect(methods.map((m) => [m.id, m.title, m.cells])).toEqual([
        ['at', 'at', 1],
        ['rift', 'rift', 1],
      ]);
      const at = (await (await app.request('/api/method/at')).json()) as MethodDetail;
      expect(at).toMatchObject({ title: 'at', registered: false, configSchema: null, defaults: null, paper: null });
      expect((await app.request('/method/nope')).status).toBe(404);
    } finally {
      store.close();
    }
  });
});
