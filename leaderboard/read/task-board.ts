/**
 * @module A task's leaderboard (one task, one tier): a row per method and config with mean ± std over seeds, ranked
 * by the robust metric, with the gain over the baseline, cost, failed seeds and flags; sorted as asked.
 */
import { boardColumns } from '../../harness/protocol/metrics/registry.ts';
import type { CellWithMetrics, Store } from '../../results/store.ts';
import { summaryMetrics, type Board, type BoardRow, type Dir, type SortColumn } from '../schemas.ts';
import { taskSourceOf } from '../task-source.ts';
import { configHashOf, configOf, costUnit, flagsOf, metricStat, robustMetricOf, threatOf } from './cell-facts.ts';
import type { Leaderboard } from './leaderboard.ts';
import { NotFound } from './not-found.ts';
import { BASELINE_METHOD, rankTier } from './ordering.ts';

export interface BoardQuery {
  tier?: string;
  sort?: SortColumn;
  dir?: Dir;
}

const DEFAULT_DIR: Record<string, Dir> = { rank: 'asc', method: 'asc', gain: 'desc', cost: 'asc', seeds: 'desc' };

/** A column's first sort direction: the board's own, or the metric column's (default descending). */
export const defaultDir = (col: SortColumn): Dir =>
  DEFAULT_DIR[col] ?? boardColumns().find((c) => c.name === col)?.dir ?? 'desc';

/** Tiers a task has cells in, most thorough first. */
export function tiersOf(store: Store, taskId: string): string[] {
  const tiers = store
    .listTaskTiers()
    .filter((t) => t.taskId === taskId)
    .map((t) => t.tier);
  return tiers.sort((a, b) => rankTier(a) - rankTier(b));
}

function sortValue(row: BoardRow, col: SortColumn): number | string | null {
  switch (col) {
    case 'rank':
      return row.rank;
    case 'method':
      return `${row.title.toLowerCase()} ${row.variant ?? ''}`;
    case 'gain':
      return row.gain;
    case 'cost':
      return row.cost?.hoursPerSeed ?? null;
    case 'seeds':
      return row.seeds.length;
    default:
      return row.metrics[col]?.mean ?? null;
  }
}

/** Sorts rows by a column; missing values always go last, ties keep rank order. */
export function sortRows(rows: readonly BoardRow[], col: SortColumn, dir: Dir): BoardRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, col);
    const y = sortValue(b, col);
    if (x === null && y !== null) return 1;
    if (y === null && x !== null) return -1;
    if (x !== null && y !== null && x !== y) return (x < y ? -1 : 1) * sign;
    return (a.rank ?? Infinity) - (b.rank ?? Infinity);
  });
}

/** The leaderboard of one task and tier (default: its most thorough); throws NotFound for a task with no cells. */
export function taskBoard(
  lb: Leaderboard,
  taskId: string,
  q: Required<Pick<BoardQuery, 'sort' | 'dir'>> & BoardQuery,
): Board {
  const tiers = tiersOf(lb.store, taskId);
  if (!tiers.length) throw new NotFound('task', taskId);
  const tier = q.tier ?? tiers[0];
  if (!tiers.includes(tier)) throw new NotFound('tier', `${tier}' of task '${taskId}`);
  const cells = lb.store.queryCells({ taskId, tier }, { metrics: summaryMetrics() });
  const rows = rowsOf(lb, cells);
  return {
    taskId,
    tier,
    tiers,
    suites: [...new Set(cells.map((c) => c.suite))].sort(),
    threat: cells.map((c) => threatOf(c)).find((t) => t) ?? null,
    source: taskSourceOf(cells, lb.store),
    robustMetric: robustMetricOf(cells),
    baseline: rows.some((r) => r.methodId === BASELINE_METHOD && r.robust) ? BASELINE_METHOD : null,
    sort: q.sort,
    dir: q.dir,
    lastFinishedAt: Math.max(0, ...cells.map((c) => c.finishedAt)),
    rows: sortRows(rows, q.sort, q.dir),
  };
}

/** Rows of a board, ranked by the robust metric (then clean accuracy, then title). */
function rowsOf(lb: Leaderboard, cells: readonly CellWithMetrics[]): BoardRow[] {
  const robustName = robustMetricOf(cells);
  const groups = new Map<string, CellWithMetrics[]>();
  for (const c of cells) {
    const key = `${c.methodId}\u0000${configHashOf(c)}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const variants = new Map<string, number>();
  for (const key of groups.keys()) {
    const id = key.split('\u0000')[0];
    variants.set(id, (variants.get(id) ?? 0) + 1);
  }
  const rows: BoardRow[] = [];
  for (const [key, group] of groups) {
    const [methodId, configHash] = key.split('\u0000');
    const done = group.filter((c) => c.status === 'completed');
    const failed = group.filter((c) => c.status === 'failed');
    const metrics: BoardRow['metrics'] = {};
    for (const name of summaryMetrics()) {
      const s = metricStat(done, name);
      if (s) metrics[name] = s;
    }
    const units = new Set(done.map(costUnit));
    const total = done.reduce((a, c) => a + c.trainSeconds + c.evalSeconds, 0) / 3600;
    const info = lb.methodInfo(methodId);
    rows.push({
      rank: null,
      methodId,
      title: info.title,
      registered: info.registered,
      config: configOf(group[0]),
      configHash,
      variant: (variants.get(methodId) ?? 0) > 1 ? `config ${configHash}` : null,
      metrics,
      robust: metrics[robustName] ?? null,
      gain: null,
      cost: done.length
        ? { hoursPerSeed: total / done.length, totalHours: total, unit: units.size > 1 ? 'mixed' : [...units][0] }
        : null,
      seeds: done.map((c) => c.seed).sort((a, b) => a - b),
      failed: failed.map((c) => ({ seed: c.seed, cellId: c.id, error: c.error })).sort((a, b) => a.seed - b.seed),
      cells: group.map((c) => ({ id: c.id, seed: c.seed, status: c.status })).sort((a, b) => a.seed - b.seed),
      flags: [...new Set(done.flatMap((c) => flagsOf(c.metrics)))],
      verification: group.some((c) => c.verification === 'self-reported') ? 'self-reported' : 'measured',
    });
  }
  rows.sort(
    (a, b) =>
      (b.robust?.mean ?? -1) - (a.robust?.mean ?? -1) ||
      (b.metrics.clean?.mean ?? -1) - (a.metrics.clean?.mean ?? -1) ||
      a.title.localeCompare(b.title),
  );
  rows.forEach((r, i) => {
    if (r.robust) r.rank = i + 1;
  });
  const base = rows.find((r) => r.methodId === BASELINE_METHOD && r.robust);
  if (base) for (const r of rows) r.gain = r.robust ? r.robust.mean - base.robust!.mean : null;
  return rows;
}
