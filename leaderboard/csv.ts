/**
 * @module CSV export (RFC 4180): every API table as `?format=csv`. Text cells that a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@` first) are prefixed with `'`; numbers are written as is.
 */
import type { Board, CellDetail, Compare, MethodDetail, MethodSummary, MetricStat, TaskSummary } from './schemas.ts';
import { summaryMetrics } from './schemas.ts';

type Cell = string | number | boolean | null | undefined;

function field(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toPrecision(10))) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return `${[header, ...rows].map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;
}

const statCols = (s: MetricStat | undefined | null): Cell[] => [s?.mean, s?.std];

export function boardCsv(b: Board): string {
  const header = ['rank', 'method_id', 'title', 'config_hash', 'seeds', 'failed_seeds'];
  for (const m of summaryMetrics()) header.push(`${m}_mean`, `${m}_std`);
  header.push(
    `gain_${b.robustMetric}_vs_${b.baseline ?? 'none'}`,
    'cost_hours_per_seed',
    'cost_unit',
    'verification',
    'flags',
    'task_id',
    'tier',
  );
  return toCsv(
    header,
    b.rows.map((r) => [
      r.rank,
      r.methodId,
      r.title,
      r.configHash,
      r.seeds.join(' '),
      r.failed.map((f) => f.seed).join(' '),
      ...summaryMetrics().flatMap((m) => statCols(r.metrics[m])),
      r.gain,
      r.cost?.hoursPerSeed,
      r.cost?.unit,
      r.verification,
      r.flags.join('; '),
      b.taskId,
      b.tier,
    ]),
  );
}

export function tasksCsv(tasks: readonly TaskSummary[]): string {
  return toCsv(
    [
      'task_id',
      'tier',
      'suites',
      'norm',
      'eps',
      'methods',
      'cells',
      'completed',
      'robust_metric',
      'best_method',
      'best_robust',
      'best_clean',
      'last_finished_at',
    ],
    tasks.map((t) => [
      t.taskId,
      t.tier,
      t.suites.join(' '),
      t.threat?.norm,
      t.threat?.eps,
      t.methods,
      t.cells,
      t.completed,
      t.robustMetric,
      t.best?.methodId,
      t.best?.robust,
      t.best?.clean,
      t.lastFinishedAt ? new Date(t.lastFinishedAt).toISOString() : '',
    ]),
  );
}

export function methodsCsv(methods: readonly MethodSummary[]): string {
  return toCsv(
    ['id', 'title', 'registered', 'paper_title', 'paper_url', 'tasks', 'cells'],
    methods.map((m) => [m.id, m.title, m.registered, m.paper?.title, m.paper?.url, m.tasks, m.cells]),
  );
}

export function methodCsv(m: MethodDetail): string {
  const header = ['task_id', 'tier', 'rank', 'of', 'robust_metric', 'config_hash', 'seeds'];
  for (const name of summaryMetrics()) header.push(`${name}_mean`, `${name}_std`);
  header.push('gain', 'cost_hours_per_seed', 'cost_unit', 'verification', 'flags');
  return toCsv(
    header,
    m.results.map(({ taskId, tier, robustMetric, of, row: r }) => [
      taskId,
      tier,
      r.rank,
      of,
      robustMetric,
      r.configHash,
      r.seeds.join(' '),
      ...summaryMetrics().flatMap((name) => statCols(r.metrics[name])),
      r.gain,
      r.cost?.hoursPerSeed,
      r.cost?.unit,
      r.verification,
      r.flags.join('; '),
    ]),
  );
}

export function cellCsv(c: CellDetail): string {
  return toCsv(
    ['cell_id', 'task_id', 'method_id', 'seed', 'metric', 'value', 'n', 'ci_low', 'ci_high', 'flags'],
    c.metrics.map((m) => [
      c.id,
      c.taskId,
      c.methodId,
      c.seed,
      m.name,
      m.value,
      m.n,
      m.ciLow,
      m.ciHigh,
      Array.isArray(m.details.flags) ? (m.details.flags as unknown[]).join('; ') : '',
    ]),
  );
}

export function compareCsv(c: Compare): string {
  return toCsv(
    ['task_id', 'tier', 'metric', `a:${c.a.id}`, 'a_std', `b:${c.b.id}`, 'b_std', 'b_minus_a'],
    c.rows.map((r) => [r.taskId, r.tier, r.metric, r.a, r.aStd, r.b, r.bStd, r.diff]),
  );
}
