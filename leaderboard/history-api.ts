/**
 * @module The history endpoints: `/api/history?cell=ID` (each metric over the cell's measurements),
 * `/api/history?task=ID[&tier=T]` (a task's cells over the nights) and `/api/changes` (since the previous night),
 * as JSON or, with `?format=csv`, one row per point or change. Read-only.
 */
import { Hono, type Context } from 'hono';
import type { Store } from '../results/store.ts';
import { toCsv } from './csv.ts';
import type { Leaderboard } from './read/leaderboard.ts';
import { NotFound } from './read/not-found.ts';
import { cellHistoryOf, changesOf, taskHistoryOf, type MetricSeries } from './history.ts';

function seriesCsv(series: readonly MetricSeries[]): string {
  const header = [
    'cell_id',
    'series',
    'metric',
    'night',
    'recorded_at',
    'commit',
    'code_hash',
    'backend',
    'value',
    'n',
    'ci_low',
    'ci_high',
    'change',
    'delta',
    'tolerance',
  ];
  const rows = series.flatMap((s) =>
    s.points.map((p) => [
      s.cellId,
      s.label,
      s.metric,
      p.night,
      new Date(p.recordedAt).toISOString(),
      p.commit,
      p.codeHash,
      p.backend,
      p.value,
      p.n,
      p.ciLow,
      p.ciHigh,
      p.change,
      p.delta,
      p.tolerance,
    ]),
  );
  return toCsv(header, rows);
}

const csv = (c: Context, body: string) => c.body(body, 200, { 'Content-Type': 'text/csv; charset=utf-8' });
const bad = (c: Context, error: string) => c.json({ error }, 400);

export function createHistoryApi(store: Store, lb: Leaderboard): Hono {
  const api = new Hono();
  api.get('/api/history', async (c) => {
    const { cell, task, tier, format } = c.req.query();
    if (format !== undefined && format !== 'json' && format !== 'csv')
      return bad(c, `format: must be json or csv, got '${format}'`);
    if (!!cell === !!task) return bad(c, 'give exactly one of cell=ID and task=ID');
    if (cell) {
      if (!store.getCell(cell)) return c.json({ error: new NotFound('cell', cell).message }, 404);
      const h = cellHistoryOf(store, cell);
      return format === 'csv' ? csv(c, seriesCsv(h.series)) : c.json(h, 200);
    }
    const tiers = lb.tiersOf(task!);
    if (!tiers.length) return c.json({ error: new NotFound('task', task!).message }, 404);
    const t = tier ?? tiers[0];
    if (!tiers.includes(t)) return c.json({ error: new NotFound('tier', `${t}' of task '${task}`).message }, 404);
    const h = taskHistoryOf(store, store.queryCells({ taskId: task, tier: t }, { metrics: [] }), task!, t);
    return format === 'csv' ? csv(c, seriesCsv(h.charts.flatMap((x) => x.series))) : c.json(h, 200);
  });
  api.get('/api/changes', (c) => {
    const { format } = c.req.query();
    if (format !== undefined && format !== 'json' && format !== 'csv')
      return bad(c, `format: must be json or csv, got '${format}'`);
    const ch = changesOf(store);
    if (format !== 'csv') return c.json(ch, 200);
    const header = [
      'night',
      'previous',
      'verdict',
      'cell_id',
      'task_id',
      'method_id',
      'seed',
      'metric',
      'before',
      'now',
      'delta',
      'tolerance',
      'note',
    ];
    return csv(
      c,
      toCsv(
        header,
        ch.rows.map((r) => [
          ch.night,
          ch.previous,
          r.verdict,
          r.cellId,
          r.taskId,
          r.methodId,
          r.seed,
          r.metric,
          r.baseline,
          r.current,
          r.delta,
          r.tolerance,
          r.note,
        ]),
      ),
    );
  });
  return api;
}
