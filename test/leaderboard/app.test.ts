/**
 * The leaderboard's routes through `app.request`, over a real SQLite store filled by the fixture
 * builder (real rows through Store.recordCell, method rows as a run writes them from the real entries).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../leaderboard/app.tsx';
import type { Board, CellDetail, Compare, MethodDetail } from '../../leaderboard/schemas.ts';
import { Store, type NewMetric } from '../../results/store.ts';
import { listMethodInfos } from '../../results/method-info.ts';
import { EXPECTED_ORDER, TASK_A, TASK_B, buildFixtureStore, cellKey, type Fixture } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-lb-'));
let fx: Fixture;
let app: ReturnType<typeof createApp>;

beforeAll(() => {
  fx = buildFixtureStore(join(dir, 'fixture.db'));
  app = createApp(fx.store);
});

afterAll(() => {
  fx.store.close();
  rmSync(dir, { recursive: true, force: true });
});

const enc = encodeURIComponent;
const get = (path: string, init?: RequestInit) => app.request(`http://localhost${path}`, init);
async function json<T>(path: string): Promise<T> {
  const res = await get(path);
  expect(res.status, path).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  return (await res.json()) as T;
}
async function html(path: string, status = 200): Promise<string> {
  const res = await get(path);
  expect(res.status, path).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/text\/html/);
  return res.text();
}
/** Method ids of the leaderboard's rows, in page order. */
const rowOrder = (page: string) =>
  [...page.matchAll(/<tr data-rank="?[^ ]*"? data-method="([^"]+)"|<tr data-method="([^"]+)"/g)].map(
    (m) => m[1] ?? m[2],
  );

function smallMetric(name: string, value: number, details: Record<string, unknown> = {}): NewMetric {
  return { name, value, n: 100, ciLow: Math.max(0, value - 0.1), ciHigh: Math.min(1, value + 0.1), details };
}

/** A second store for cases the fixture does not cover; cells written through recordCell. */
function smallStore(
  name: string,
  cells: {
    id: string;
    methodId: string;
    taskId?: string;
    status?: 'completed' | 'failed';
    error?: string;
    metrics: NewMetric[];
  }[],
): Store {
  const store = Store.open(join(dir, name));
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
  for (const c of cells) {
    store.recordCell(
      {
        id: c.id,
        suite: 's',
        tier: 'quick',
        taskId: c.taskId ?? 'toy/linf-8',
        methodId: c.methodId,
        seed: 0,
        status: c.status ?? 'completed',
        error: c.error,
        runId: 'r',
        spec: { task: { threat: { norm: 'Linf', eps: 8 / 255 } }, method: { id: c.methodId, config: {} } },
        provenance: { backend: 'wasm' },
        artifacts: {},
        startedAt: 1,
        finishedAt: 2,
        trainSeconds: 10,
        evalSeconds: 5,
      },
      c.metrics,
    );
  }
  return store;
}

describe('home and task leaderboards', () => {
  it('lists every task with its best entry (by AutoAttack) and the date of its last run', async () => {
    const page = await html('/');
    expect(page).toContain(TASK_A);
    expect(page).toContain(TASK_B);
    expect(page).toContain('2025-06-02');
    const { tasks } = await json<{
      tasks: {
        taskId: string;
        best: { methodId: string; robust: number };
        robustMetric: string;
        lastFinishedAt: number;
      }[];
    }>('/api/tasks');
    expect(tasks.map((t) => t.taskId)).toEqual([TASK_B, TASK_A]);
    for (const t of tasks) {
      expect(t.robustMetric).toBe('autoattack');
      expect(t.best.methodId).toBe('rift');
      expect(t.lastFinishedAt).toBeGreaterThan(0);
    }
    expect(tasks[1].best.robust).toBeCloseTo(0.47, 6);
  });

  it('ranks by the robust metric with mean ± std over seeds, gain over at, cost, flags and badges', async () => {
    for (const task of [TASK_A, TASK_B]) {
      const board = await json<Board>(`/api/task/${enc(task)}`);
      expect(board.robustMetric).toBe('autoattack');
      expect(board.rows.map((r) => r.methodId)).toEqual(EXPECTED_ORDER[task]);
      expect(board.rows.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
      expect(rowOrder(await html(`/task/${enc(task)}`))).toEqual(EXPECTED_ORDER[task]);
    }
    const a = await json<Board>(`/api/task/${enc(TASK_A)}`);
    const rift = a.rows[0];
    expect(rift.metrics.autoattack!.mean).toBeCloseTo(0.47, 6);
    // Seeds at ±0.006 around the mean: sample std = 0.006·√2.
    expect(rift.metrics.autoattack!.std).toBeCloseTo(0.006 * Math.SQRT2, 6);
    expect(rift.metrics.autoattack!.values.map((v) => v.seed)).toEqual([0, 1]);
    expect(rift.gain).toBeCloseTo(0.05, 6);
    expect(a.rows.find((r) => r.methodId === 'at')!.gain).toBe(0);
    expect(a.rows.find((r) => r.methodId === 'standard')!.gain).toBeCloseTo(-0.4, 6);
    expect(rift.cost!.unit).toBe('CPU');
    const twins = a.rows.find((r) => r.methodId === 'twins-bn')!;
    expect(twins.seeds).toEqual([0, 1]);
    expect(twins.failed).toEqual([
      { seed: 2, cellId: fx.failedCellId, error: 'diverged at epoch 2, step 14: loss is NaN' },
    ]);
    // Entries the store describes get their title; undescribed ids show as themselves.
    expect(a.rows.find((r) => r.methodId === 'at')!.title).toBe('Adversarial fine-tuning (PGD-AT)');
    expect(rift).toMatchObject({ title: 'RiFT (robust critical fine-tuning)', registered: true });
    expect(twins).toMatchObject({ title: 'twins-bn', registered: false });

    const b = await json<Board>(`/api/task/${enc(TASK_B)}`);
    expect(b.rows[0].cost!.unit).toBe('GPU');
    expect(b.rows[0].verification).toBe('self-reported');
    expect(b.rows.find((r) => r.methodId === 'at')!.flags).toEqual(['pgd: over-eps:3']);

    const page = await html(`/task/${enc(TASK_B)}`);
    expect(page).toContain('GPU h');
    expect(page).toContain('self-reported');
    expect(page).toContain('over-eps:3');
    expect(page).toMatch(/38\.0%<span class="sd"> ± 0\.8<\/span>/);
    // Intervals on hover.
    expect(page).toMatch(/title="seed 0: 38\.6% \(95% CI [\d.]+–[\d.]+%, n = 2000\)/);
  });

  it('accepts the task id encoded or with its slash, and redirects an unencoded API path', async () => {
    expect(rowOrder(await html(`/task/${TASK_A}`))).toEqual(EXPECTED_ORDER[TASK_A]);
    const res = await get(`/api/task/${TASK_A}?format=csv`);
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe(`/api/task/${enc(TASK_A)}?format=csv`);
  });

  it('falls back to PGD when no cell has AutoAttack', async () => {
    const store = smallStore('pgd-only.db', [
      { id: 'c1', methodId: 'standard', metrics: [smallMetric('clean', 0.9), smallMetric('pgd', 0.1)] },
      { id: 'c2', methodId: 'at', metrics: [smallMetric('clean', 0.7), smallMetric('pgd', 0.4)] },
      { id: 'c3', methodId: 'x-method', metrics: [smallMetric('clean', 0.8), smallMetric('pgd', 0.5)] },
    ]);
    try {
      const board = (await (await createApp(store).request('/api/task/toy%2Flinf-8')).json()) as Board;
      expect(board.robustMetric).toBe('pgd');
      expect(board.rows.map((r) => r.methodId)).toEqual(['x-method', 'at', 'standard']);
      expect(board.rows[0].gain).toBeCloseTo(0.1, 6);
    } finally {
      store.close();
    }
  });

  it('sorts server-side with ?sort=&dir= and marks the sorted column', async () => {
    const byClean = ['standard', 'twins-bn', 'rift', 'at'];
    expect((await json<Board>(`/api/task/${enc(TASK_A)}?sort=clean`)).rows.map((r) => r.methodId)).toEqual(byClean);
    expect((await json<Board>(`/api/task/${enc(TASK_A)}?sort=clean&dir=asc`)).rows.map((r) => r.methodId)).toEqual(
      [...byClean].reverse(),
    );
    expect((await json<Board>(`/api/task/${enc(TASK_A)}?sort=cost`)).rows[0].methodId).toBe('standard');
    const page = await html(`/task/${enc(TASK_A)}?sort=clean&dir=desc`);
    expect(rowOrder(page)).toEqual(byClean);
    expect(page).toMatch(/<th class="num" aria-sort="descending"><a href="[^"]*sort=clean&amp;dir=asc"/);
    expect(rowOrder(await html(`/task/${enc(TASK_A)}?sort=method`))).toEqual(['at', 'rift', 'standard', 'twins-bn']);
    // Ranks stay attached to their rows whatever the order.
    expect((await json<Board>(`/api/task/${enc(TASK_A)}?sort=clean`)).rows.map((r) => r.rank)).toEqual([4, 2, 1, 3]);
  });

  it('draws the clean-vs-robust scatter plot on the server, one point per method', async () => {
    const page = await html(`/task/${enc(TASK_A)}`);
    const svg = page.slice(page.indexOf('<svg'), page.indexOf('</svg>'));
    expect(svg.match(/<circle class="pt/g)).toHaveLength(4);
    expect(svg).toContain('clean accuracy');
    expect(svg).toContain('AutoAttack robust accuracy');
    expect(svg).toContain('Adversarial fine-tuning (PGD-AT)');
  });
});

describe('CSV and JSON API', () => {
  it('gives every table as CSV with a header and one line per row', async () => {
    // /api/methods lists every method the store describes and every method with results in it.
    const methodCount = new Set([...listMethodInfos(fx.store).map((m) => m.id), ...fx.store.listMethodIds()]).size;
    expect(methodCount).toBe(4);
    const cases: [string, string, number][] = [
      [`/api/task/${enc(TASK_A)}?format=csv`, 'rank,method_id,title,config_hash,seeds,failed_seeds,clean_mean', 4],
      ['/api/tasks?format=csv', 'task_id,tier,suites', 2],
      ['/api/methods?format=csv', 'id,title,registered', methodCount],
      ['/api/method/at?format=csv', 'task_id,tier,rank,of', 2],
      [
        `/api/cell/${fx.ids.get(cellKey(TASK_A, 'rift', 0))}?format=csv`,
        'cell_id,task_id,method_id,seed,metric,value',
        83,
      ],
      ['/api/compare?a=at&b=rift&format=csv', 'task_id,tier,metric,a:at,a_std,b:rift', 16],
    ];
    for (const [path, header, rows] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (await res.text()).trimEnd().split('\r\n');
      expect(lines[0].startsWith(header), `${path}: ${lines[0]}`).toBe(true);
      expect(lines.length - 1, path).toBe(rows);
    }
    const board = (await (await get(`/api/task/${enc(TASK_A)}?format=csv`)).text()).split('\r\n');
    expect(board[1]).toMatch(/^1,rift,RiFT \(robust critical fine-tuning\),[0-9a-f]{8},0 1,,0\.82,/);
    expect(board.find((l) => l.includes('twins-bn'))).toMatch(/,0 1,2,/);
  });

  it('serves methods, a method with its config defaults, cells and comparisons as JSON', async () => {
    const { methods } = await json<{ methods: { id: string; registered: boolean; cells: number }[] }>('/api/methods');
    expect(methods.map((m) => m.id)).toEqual(expect.arrayContaining(['standard', 'at', 'twins-bn', 'rift']));
    expect(methods.find((m) => m.id === 'twins-bn')).toMatchObject({ registered: false, cells: 5 });
    const at = await json<MethodDetail>('/api/method/at');
    expect(at.paper?.url).toBe('https://arxiv.org/abs/1706.06083');
    expect(at.defaults).toMatchObject({ lr: 0.01, momentum: 0.9, schedule: 'cosine' });
    expect(at.results.map((r) => [r.taskId, r.row.rank, r.of])).toEqual([
      [TASK_B, 3, 4],
      [TASK_A, 3, 4],
    ]);
    const cell = await json<CellDetail>(`/api/cell/${fx.ids.get(cellKey(TASK_B, 'rift', 1))}`);
    expect(cell).toMatchObject({ methodId: 'rift', seed: 1, status: 'completed', cost: { unit: 'GPU' } });
    expect(cell.metrics).toHaveLength(83);
    const cmp = await json<Compare>('/api/compare?a=at&b=rift');
    expect(cmp.rows.find((r) => r.taskId === TASK_A && r.metric === 'autoattack')!.diff).toBeCloseTo(0.05, 6);
    // A cell against a method covers the cell's task only.
    const mixed = await json<Compare>(`/api/compare?a=${fx.ids.get(cellKey(TASK_A, 'at', 0))}&b=rift`);
    expect(new Set(mixed.rows.map((r) => r.taskId))).toEqual(new Set([TASK_A]));
    expect(mixed.a.kind).toBe('cell');
  });

  it('publishes an OpenAPI document listing every API route', async () => {
    const doc = await json<{
      openapi: string;
      paths: Record<string, { get: { parameters?: { name: string; schema: { enum?: string[] } }[] } }>;
    }>('/api/openapi.json');
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/cell/{id}',
      '/api/compare',
      '/api/method/{id}',
      '/api/methods',
      '/api/papers/{taskId}',
      '/api/task/{taskId}',
      '/api/tasks',
    ]);
    const params = doc.paths['/api/task/{taskId}'].get.parameters!;
    expect(params.map((p) => p.name).sort()).toEqual(['dir', 'format', 'sort', 'taskId', 'tier']);
    expect(params.find((p) => p.name === 'sort')!.schema.enum).toContain('autoattack');
  });
});

describe('pages', () => {
  it('shows a method page with paper, description and config defaults; an undescribed id still shows', async () => {
    const at = await html('/method/at');
    expect(at).toContain('href="https://arxiv.org/abs/1706.06083"');
    expect(at).toContain('Configuration defaults');
    expect(at).toMatch(/<code>lr<\/code><\/td><td>number<\/td><td><code>0\.01<\/code>/);
    expect(at).toContain(`href="/task/fmnist-transfer/linf-8?tier=quick"`);
    const unregistered = await html('/method/twins-bn');
    expect(unregistered).toContain('no description there');
    expect(unregistered).toContain('<h1>twins-bn</h1>');
  });

  it('shows a run page: provenance, per-attack breakdown, corruption table, curves, RiFT criticality', async () => {
    const page = await html(`/cell/${fx.ids.get(cellKey(TASK_A, 'rift', 0))}`);
    for (const text of [
      'Per-attack breakdown',
      'after APGD-CE',
      'after Square',
      'Provenance',
      'tensorflow',
      'wasm',
      'sourceSha256',
      'Training curves',
      'RiFT module criticality',
      'layer2.1.conv2',
    ]) {
      expect(page, text).toContain(text);
    }
    const corruption = page.slice(
      page.indexOf('id="corruptions"'),
      page.indexOf('</table>', page.indexOf('id="corruptions"')),
    );
    expect(corruption.match(/<tr>/g)).toHaveLength(16); // header + 15 corruptions
    expect(corruption).toContain('severity 5');
    expect(page.match(/<polyline/g)?.length).toBe(2); // loss and acc
    expect(page).toContain('class="bar hl"');
    const at = await html(`/cell/${fx.ids.get(cellKey(TASK_A, 'at', 0))}`);
    expect(at).not.toContain('RiFT module criticality');
  });

  it('shows a failed run with its error, and a compare page side by side', async () => {
    const failed = await html(`/cell/${fx.failedCellId}`);
    expect(failed).toContain('diverged at epoch 2, step 14: loss is NaN');
    expect(failed).toContain('badge failed');
    const cmp = await html('/compare?a=at&b=rift');
    expect(cmp).toContain('A: <a href="/method/at">Adversarial fine-tuning (PGD-AT)</a>');
    expect(cmp).toContain('+5.0 pp');
    expect(await html('/compare')).toContain('<form class="compare"');
  });
});

describe('errors and security', () => {
  it('answers 400 naming the bad query parameter, as a page or as JSON', async () => {
    expect(await html(`/task/${enc(TASK_A)}?sort=bogus`, 400)).toContain('invalid query parameter &#39;sort&#39;');
    const cases: [string, string][] = [
      [`/api/task/${enc(TASK_A)}?dir=up`, 'dir'],
      [`/api/task/${enc(TASK_A)}?tier=huge`, 'tier'],
      ['/api/tasks?format=xml', 'format'],
      ['/api/compare?a=at', 'b'],
      [`/api/compare?a=${'x'.repeat(300)}&b=at`, 'a'],
    ];
    for (const [path, param] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { error: string; issues: { param: string }[] };
      expect(
        body.issues.map((i) => i.param),
        path,
      ).toEqual([param]);
      expect(body.error).toContain(`'${param}'`);
    }
    expect(await html('/compare?a=at', 400)).toContain('&#39;b&#39;');
  });

  it('answers 404 for unknown tasks, tiers, cells, methods and routes', async () => {
    expect(await html('/task/no-such/linf-8', 404)).toContain('No task &#39;no-such/linf-8&#39;');
    await html(`/task/${enc(TASK_A)}?tier=smoke`, 404);
    expect(await html('/cell/0000000000000000', 404)).toContain('No cell');
    await html('/method/no-such-method', 404);
    await html('/nowhere', 404);
    expect(await html('/compare?a=at&b=nothing', 404)).toContain('parameter &#39;b&#39;');
    for (const path of [
      '/api/task/no-such%2Flinf-8',
      '/api/cell/0000000000000000',
      '/api/method/nope',
      '/api/compare?a=nope&b=at',
      '/api/nowhere',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
  });

  it('escapes every stored string in pages, and defuses formulas in CSV', async () => {
    const evil = '<script>alert(1)</script>';
    const store = smallStore('evil.db', [
      {
        id: 'e1',
        methodId: evil,
        metrics: [smallMetric('clean', 0.5), smallMetric('pgd', 0.2, { flags: ['<img src=x onerror=alert(2)>'] })],
      },
      { id: 'e2', methodId: '=HYPERLINK("http://x")', metrics: [smallMetric('clean', 0.4), smallMetric('pgd', 0.1)] },
      { id: 'e3', methodId: 'at', status: 'failed', error: `boom ${evil}`, metrics: [] },
    ]);
    const evilApp = createApp(store);
    try {
      const pages = [
        '/',
        '/task/toy/linf-8',
        `/method/${enc(evil)}`,
        '/cell/e1',
        '/cell/e3',
        '/methods',
        `/compare?a=${enc(evil)}&b=e2`,
      ];
      for (const path of pages) {
        const res = await evilApp.request(path);
        expect(res.status, path).toBe(200);
        const body = await res.text();
        expect(body, path).not.toContain('<script>alert');
        expect(body, path).not.toContain('<img src=x');
      }
      const board = await (await evilApp.request('/task/toy/linf-8')).text();
      expect(board).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(board).toContain('&lt;img src=x onerror=alert(2)&gt;');
      expect(await (await evilApp.request('/cell/e3')).text()).toContain('boom &lt;script&gt;');
      const csv = await (await evilApp.request('/api/task/toy%2Flinf-8?format=csv')).text();
      expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
      expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
    } finally {
      store.close();
    }
  });

  it('sends a content security policy that allows no inline script', async () => {
    const res = await get('/');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const body = await res.text();
    expect(body.match(/<script[^>]*>/g)).toEqual(['<script src="/assets/sort.js" defer="">']);
    expect((await get('/assets/sort.js')).headers.get('content-type')).toMatch(/javascript/);
  });

  it('has no write endpoints without the token: the submit hook answers 401, and passes the guard with it', async () => {
    const open = await get('/api/submit', { method: 'POST' });
    expect(open.status).toBe(401);
    expect(((await open.json()) as { error: string }).error).toMatch(/without a token/);
    const guarded = createApp(fx.store, { token: 's3cret' });
    expect((await guarded.request('/api/submit', { method: 'POST' })).status).toBe(401);
    expect(
      (await guarded.request('/api/submit', { method: 'POST', headers: { Authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
    // Past the guard: a server without a writable store takes no submissions.
    const passed = await guarded.request('/api/submit', {
      method: 'POST',
      headers: { Authorization: 'Bearer s3cret' },
    });
    expect(passed.status).toBe(503);
    // Other methods on the read routes are not routes at all.
    expect((await get(`/api/task/${enc(TASK_A)}`, { method: 'POST' })).status).toBe(404);
  });

  it('shows new results on the next request (the cache follows the store)', async () => {
    const store = smallStore('live.db', [
      { id: 'l1', methodId: 'at', metrics: [smallMetric('clean', 0.7), smallMetric('pgd', 0.3)] },
    ]);
    const live = createApp(store);
    try {
      const first = (await (await live.request('/api/task/toy%2Flinf-8')).json()) as Board;
      expect(first.rows).toHaveLength(1);
      store.recordCell(
        {
          id: 'l2',
          suite: 's',
          tier: 'quick',
          taskId: 'toy/linf-8',
          methodId: 'standard',
          seed: 0,
          status: 'completed',
          runId: 'r',
          spec: {},
          provenance: {},
          artifacts: {},
          startedAt: 3,
          finishedAt: 4,
          trainSeconds: 1,
          evalSeconds: 1,
        },
        [smallMetric('clean', 0.9), smallMetric('pgd', 0.05)],
      );
      const second = (await (await live.request('/api/task/toy%2Flinf-8')).json()) as Board;
      expect(second.rows.map((r) => r.methodId)).toEqual(['at', 'standard']);
    } finally {
      store.close();
    }
  });
});
