/**
 * @module The JSON/CSV API, declared with @hono/zod-openapi so the document at /api/openapi.json is
 * generated from the same zod schemas that validate the query and type the responses. Every table
 * has `?format=csv`. Bad parameters get 400 naming the parameter; unknown ids get 404.
 */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import { boardCsv, cellCsv, compareCsv, methodCsv, methodsCsv, tasksCsv } from './csv.ts';
import type { Leaderboard } from './read/leaderboard.ts';
import { NotFound } from './read/not-found.ts';
import { PapersSchema, papersFor } from './papers.ts';
import {
  BoardSchema,
  CellDetailSchema,
  CompareQuerySchema,
  CompareSchema,
  ErrorSchema,
  FormatSchema,
  MethodDetailSchema,
  MethodsSchema,
  TaskQuerySchema,
  TasksSchema,
  badRequestBody,
} from './schemas.ts';

const CSV = 'text/csv; charset=utf-8';

const ok = (schema: z.ZodType, description: string) => ({
  200: {
    description,
    content: {
      'application/json': { schema },
      'text/csv': { schema: z.string().meta({ description: 'the same table as CSV (`?format=csv`)' }) },
    },
  },
  400: {
    description: 'a query parameter is invalid; the body names it',
    content: { 'application/json': { schema: ErrorSchema } },
  },
});

const notFound = (what: string) => ({
  404: { description: `no such ${what}`, content: { 'application/json': { schema: ErrorSchema } } },
});

const Format = z.object({ format: FormatSchema });

const tasksRoute = createRoute({
  method: 'get',
  path: '/api/tasks',
  summary: 'Every task and tier with its best entry and the date of its last run',
  request: { query: Format },
  responses: ok(TasksSchema, 'tasks'),
});

const taskRoute = createRoute({
  method: 'get',
  path: '/api/task/{taskId}',
  summary: "A task's leaderboard: one row per method (mean and std over seeds), ranked by the robust metric",
  request: {
    params: z.object({
      taskId: z
        .string()
        .meta({ description: 'task id, URL-encoded (`fmnist-transfer%2Flinf-8`)', example: 'fmnist-transfer/linf-8' }),
    }),
    query: TaskQuerySchema.extend(Format.shape),
  },
  responses: { ...ok(BoardSchema, 'the leaderboard'), ...notFound('task or tier') },
});

const methodsRoute = createRoute({
  method: 'get',
  path: '/api/methods',
  summary: 'Registered methods and method ids found in the store',
  request: { query: Format },
  responses: ok(MethodsSchema, 'methods'),
});

const methodRoute = createRoute({
  method: 'get',
  path: '/api/method/{id}',
  summary: 'One method: paper, description, config schema and defaults, results on every task',
  request: { params: z.object({ id: z.string() }), query: Format },
  responses: { ...ok(MethodDetailSchema, 'the method'), ...notFound('method') },
});

const cellRoute = createRoute({
  method: 'get',
  path: '/api/cell/{id}',
  summary: 'One run (task, method, seed): every metric, provenance, spec and artifacts',
  request: { params: z.object({ id: z.string() }), query: Format },
  responses: { ...ok(CellDetailSchema, 'the cell'), ...notFound('cell') },
});

const compareRoute = createRoute({
  method: 'get',
  path: '/api/compare',
  summary: 'Two cells, two methods, or a cell and a method, metric by metric (diff = b − a)',
  request: { query: CompareQuerySchema.extend(Format.shape) },
  responses: { ...ok(CompareSchema, 'the comparison'), ...notFound('cell or method') },
});

const papersRoute = createRoute({
  method: 'get',
  path: '/api/papers/{taskId}',
  summary:
    "A task's published numbers beside ours (gap, whether our 95% interval holds them) and the papers' claims judged over seeds",
  request: {
    params: z.object({
      taskId: z.string().meta({ description: 'task id, URL-encoded', example: 'salman-r50-linf4-to-cifar10/linf-8' }),
    }),
    query: z.object({ tier: z.string().optional() }),
  },
  responses: {
    200: { description: 'reported vs measured, and claims', content: { 'application/json': { schema: PapersSchema } } },
    ...notFound('task or tier'),
  },
});

function csv(c: Context, body: string) {
  return c.body(body, 200, { 'Content-Type': CSV });
}

function missing(c: Context, err: unknown) {
  if (err instanceof NotFound) return c.json({ error: err.message }, 404);
  throw err;
}

/** The API routes, to be mounted on the site's app; `version` goes into the OpenAPI document. */
export function createApi(lb: Leaderboard, version: string): OpenAPIHono {
  const api = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) return c.json(badRequestBody(result.error), 400);
    },
  });

  api.openapi(tasksRoute, async (c) => {
    const tasks = await lb.tasks();
    return c.req.valid('query').format === 'csv' ? csv(c, tasksCsv(tasks)) : c.json({ tasks }, 200);
  });

  api.openapi(taskRoute, async (c) => {
    const { taskId } = c.req.valid('param');
    const { format, ...q } = c.req.valid('query');
    try {
      const board = await lb.board(taskId, q);
      return format === 'csv' ? csv(c, boardCsv(board)) : c.json(board, 200);
    } catch (err) {
      return missing(c, err);
    }
  });

  api.openapi(papersRoute, async (c) => {
    const { taskId } = c.req.valid('param');
    try {
      const board = await lb.board(taskId, { tier: c.req.valid('query').tier });
      return c.json(papersFor(lb.store, board.taskId, board.tier), 200);
    } catch (err) {
      return missing(c, err);
    }
  });

  api.openapi(methodsRoute, async (c) => {
    const methods = await lb.methods();
    return c.req.valid('query').format === 'csv' ? csv(c, methodsCsv(methods)) : c.json({ methods }, 200);
  });

  api.openapi(methodRoute, async (c) => {
    try {
      const m = await lb.method(c.req.valid('param').id);
      return c.req.valid('query').format === 'csv' ? csv(c, methodCsv(m)) : c.json(m, 200);
    } catch (err) {
      return missing(c, err);
    }
  });

  api.openapi(cellRoute, async (c) => {
    try {
      const cell = await lb.cell(c.req.valid('param').id);
      return c.req.valid('query').format === 'csv' ? csv(c, cellCsv(cell)) : c.json(cell, 200);
    } catch (err) {
      return missing(c, err);
    }
  });

  api.openapi(compareRoute, async (c) => {
    const { a, b, format } = c.req.valid('query');
    try {
      const cmp = await lb.compare(a, b);
      return format === 'csv' ? csv(c, compareCsv(cmp)) : c.json(cmp, 200);
    } catch (err) {
      return missing(c, err);
    }
  });

  api.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'rftbench leaderboard API',
      version,
      description:
        'Read-only access to the rftbench results store. Every table is also available as CSV with `?format=csv`.',
    },
  });
  return api;
}
