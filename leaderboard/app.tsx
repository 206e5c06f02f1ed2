/**
 * @module The leaderboard site: server-rendered pages (hono/jsx, readable without JavaScript) and the
 * JSON/CSV API over a results Store, read through the page read models of `read/`. Everything it shows comes
 * from the store (method titles too: it loads no method code). Read-only except `/api/submit` (submit-route.ts).
 *
 * @example
 * const app = createApp(Store.open('results/rftbench.db', { readonly: true }));
 * const res = await app.request('/task/fmnist-transfer%2Flinf-8?sort=clean');
 */
import { readFileSync } from 'node:fs';
import { Hono, type Context } from 'hono';
import type { Child } from 'hono/jsx';
import { secureHeaders } from 'hono/secure-headers';
import type { z } from 'zod';
import type { Store } from '../results/store.ts';
import { createApi } from './api.ts';
import { modelDownload } from './cell-model.ts';
import { SITE_CSS, SORT_JS } from './assets.ts';
import { Leaderboard } from './read/leaderboard.ts';
import { NotFound } from './read/not-found.ts';
import { createSubmitRoute } from './submit-route.ts';
import { CompareQuerySchema, TaskQuerySchema, badRequestBody } from './schemas.ts';
import { CellPage } from './views/cell.tsx';
import { ChangesPage, RunPage } from './views/history.tsx';
import { cellHistoryOf, changesOf, runDetailOf, taskHistoryOf } from './history.ts';
import { createHistoryApi } from './history-api.ts';
import { ComparePage } from './views/compare.tsx';
import { ErrorPage } from './views/layout.tsx';
import { MethodPage, MethodsPage } from './views/method.tsx';
import { HomePage, TaskPage } from './views/task.tsx';
import { papersFor } from './papers.ts';

export interface AppOptions {
  /** Secret for the token-protected write endpoints; without it they answer 401. */
  token?: string;
  /** A writable store for submissions; without it `POST /api/submit` answers 503. */
  writeStore?: Store;
}

function harnessVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

function page(c: Context, node: Child, status: 200 | 400 | 404 | 500 = 200) {
  return c.html(`<!doctype html>${String(node)}`, status);
}

const isApi = (c: Context) => c.req.path.startsWith('/api/');

/** Parses the query with a schema, or answers 400 naming the bad parameter (HTML page or JSON). */
function parseQuery<S extends z.ZodType>(
  c: Context,
  schema: S,
): { ok: true; data: z.output<S> } | { ok: false; res: Response } {
  const r = schema.safeParse(c.req.query());
  if (r.success) return { ok: true, data: r.data };
  const body = badRequestBody(r.error);
  return {
    ok: false,
    res: isApi(c)
      ? c.json(body, 400)
      : page(c, <ErrorPage status={400} title="Bad request" message={body.error} />, 400),
  };
}

/** Builds the site over a store. Nothing here writes to the store. */
export function createApp(store: Store, opts: AppOptions = {}): Hono {
  const lb = new Leaderboard(store);
  const app = new Hono();

  app.use(
    '*',
    secureHeaders({
      // HSTS is the TLS front end's call, not a loopback server's.
      strictTransportSecurity: false,
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    }),
  );

  // Every GET answer is a function of the URL and the store's contents: keep rendered 200s until the
  // store changes, so a busy page costs a map lookup instead of a render.
  const rendered = new Map<string, { body: string; headers: [string, string][] }>();
  let renderedVersion = '';
  app.use('*', async function responseCache(c, next) {
    if (c.req.method !== 'GET') return next();
    const version = store.dataVersion();
    if (version !== renderedVersion) {
      rendered.clear();
      renderedVersion = version;
    }
    const key = c.req.url.slice(c.req.url.indexOf('/', c.req.url.indexOf('//') + 2));
    const hit = rendered.get(key);
    if (hit) return new Response(hit.body, { status: 200, headers: hit.headers });
    await next();
    // Downloads (a kept model) stream from disk: never buffered here.
    if (c.res.status === 200 && !c.res.headers.has('set-cookie') && !c.res.headers.has('content-disposition')) {
      if (rendered.size >= 1000) rendered.clear();
      rendered.set(key, { body: await c.res.clone().text(), headers: [...c.res.headers] });
    }
  });

  app.get('/assets/site.css', (c) =>
    c.body(SITE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }),
  );
  app.get('/assets/sort.js', (c) =>
    c.body(SORT_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }),
  );

  app.get('/', async (c) => page(c, <HomePage tasks={await lb.tasks()} runs={store.listRuns().slice(0, 10)} />));

  // Task ids contain `/`: accept both `/task/a/b` and `/task/a%2Fb`.
  app.get('/task/:taskId{.+}', async (c) => {
    const q = parseQuery(c, TaskQuerySchema);
    if (!q.ok) return q.res;
    const board = await lb.board(c.req.param('taskId'), q.data);
    const history = taskHistoryOf(
      store,
      store.queryCells({ taskId: board.taskId, tier: board.tier }, { metrics: [] }),
      board.taskId,
      board.tier,
    );
    return page(c, <TaskPage board={board} papers={papersFor(store, board.taskId, board.tier)} history={history} />);
  });

  app.get('/methods', async (c) => page(c, <MethodsPage methods={await lb.methods()} />));
  app.get('/method/:id', async (c) => page(c, <MethodPage method={await lb.method(c.req.param('id'))} />));
  app.get('/cell/:id', async (c) =>
    page(c, <CellPage cell={await lb.cell(c.req.param('id'))} history={cellHistoryOf(store, c.req.param('id'))} />),
  );
  app.get('/changes', (c) => page(c, <ChangesPage changes={changesOf(store)} />));
  // A run's measurements; a submission's (the link `POST /api/submit` answers with) with its stored code.
  app.get('/run/:id', (c) => page(c, <RunPage detail={runDetailOf(store, c.req.param('id'))} />));
  app.get('/cell/:id/model.safetensors', (c) => modelDownload(store, c.req.param('id')));

  app.get('/compare', async (c) => {
    const options = (await lb.methods()).map((m) => m.id);
    const raw = c.req.query();
    if (raw.a === undefined && raw.b === undefined) return page(c, <ComparePage options={options} />);
    const q = parseQuery(c, CompareQuerySchema);
    if (!q.ok) return q.res;
    return page(c, <ComparePage cmp={await lb.compare(q.data.a, q.data.b)} options={options} />);
  });

  // An unencoded task id in an API path (`/api/task/a/b`) is redirected to its encoded form.
  app.get('/api/task/:first/:rest{.+}', (c) => {
    const url = new URL(c.req.url);
    const id = `${c.req.param('first')}/${c.req.param('rest')}`;
    return c.redirect(`/api/task/${encodeURIComponent(id)}${url.search}`, 308);
  });

  app.route('/', createHistoryApi(store, lb));
  app.route('/', createApi(lb, harnessVersion()));

  // Submissions: the site's one write (submit-route.ts).
  app.route('/', createSubmitRoute(opts));

  app.notFound((c) =>
    isApi(c)
      ? c.json({ error: `No route ${c.req.method} ${c.req.path}` }, 404)
      : page(c, <ErrorPage status={404} title="Not found" message={`Nothing at ${c.req.path}`} />, 404),
  );

  app.onError((err, c) => {
    if (err instanceof NotFound) {
      return isApi(c)
        ? c.json({ error: err.message }, 404)
        : page(c, <ErrorPage status={404} title="Not found" message={err.message} />, 404);
    }
    console.error(`leaderboard: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
    const message = 'The server could not render this page; the error is in the server log.';
    return isApi(c)
      ? c.json({ error: message }, 500)
      : page(c, <ErrorPage status={500} title="Server error" message={message} />, 500);
  });

  return app;
}
