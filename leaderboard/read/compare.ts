/**
 * @module The compare view: two cells, two methods (all their boards), or a cell against a method on its task,
 * metric by metric with the difference b − a.
 */
import type { CellWithMetrics } from '../../results/store.ts';
import { SUMMARY_METRICS, type Compare, type CompareRow } from '../schemas.ts';
import { metricStat } from './cell-facts.ts';
import type { Leaderboard } from './leaderboard.ts';
import { NotFound } from './not-found.ts';
import { compareMetricNames } from './ordering.ts';

type Values = Map<string, { mean: number; std: number | null }>;

export function compareRefs(lb: Leaderboard, a: string, b: string): Compare {
  const [sa, sb] = [side(lb, a, 'a'), side(lb, b, 'b')];
  const keys = [...new Set([...sa.entries.keys(), ...sb.entries.keys()])];
  // A cell compared with a method: only the cell's board matters.
  const scoped = sa.kind === 'cell' ? [...sa.entries.keys()] : sb.kind === 'cell' ? [...sb.entries.keys()] : keys;
  const rows: CompareRow[] = [];
  for (const key of scoped.sort()) {
    const [taskId, tier] = key.split('\u0000');
    const ma = sa.entries.get(key) ?? new Map();
    const mb = sb.entries.get(key) ?? new Map();
    const names = [...new Set([...ma.keys(), ...mb.keys()])].sort(compareMetricNames);
    for (const metric of names) {
      const x = ma.get(metric);
      const y = mb.get(metric);
      rows.push({
        taskId,
        tier,
        metric,
        a: x?.mean ?? null,
        aStd: x?.std ?? null,
        b: y?.mean ?? null,
        bStd: y?.std ?? null,
        diff: x && y ? y.mean - x.mean : null,
      });
    }
  }
  return { a: sa.side, b: sb.side, rows };
}

/** One side's metric values per board (`task\0tier`): a cell's own, or a method's means over seeds. */
function side(lb: Leaderboard, ref: string, param: 'a' | 'b') {
  const cell = lb.store.getCell(ref);
  const entries = new Map<string, Values>();
  if (cell) {
    const m: Values = new Map();
    for (const x of cell.metrics) if (!x.name.startsWith('corruption/')) m.set(x.name, { mean: x.value, std: null });
    entries.set(`${cell.taskId}\u0000${cell.tier}`, m);
    const label = `${lb.methodInfo(cell.methodId).title} · ${cell.taskId} · seed ${cell.seed}`;
    return { kind: 'cell' as const, entries, side: { kind: 'cell' as const, id: ref, label } };
  }
  const info = lb.methodInfo(ref);
  const cells = lb.store.queryCells(
    { methodId: ref, status: 'completed' },
    { metrics: [...SUMMARY_METRICS, 'autoattack/'] },
  );
  if (!info.registered && !cells.length) throw new NotFound(`cell or method (parameter '${param}')`, ref);
  const byBoard = new Map<string, CellWithMetrics[]>();
  for (const c of cells) {
    const key = `${c.taskId}\u0000${c.tier}`;
    byBoard.set(key, [...(byBoard.get(key) ?? []), c]);
  }
  for (const [key, group] of byBoard) {
    // With several configs on one board, the best-ranked one represents the method.
    const [taskId, tier] = key.split('\u0000');
    const row = lb
      .board(taskId, { tier })
      .rows.filter((r) => r.methodId === ref)
      .sort((x, y) => (x.rank ?? 1e9) - (y.rank ?? 1e9))[0];
    const members = group.filter((c) => !row || row.cells.some((rc) => rc.id === c.id));
    const names = [...new Set(members.flatMap((c) => c.metrics.map((m) => m.name)))];
    const m: Values = new Map();
    for (const name of names) {
      const s = metricStat(members, name);
      if (s) m.set(name, { mean: s.mean, std: s.std });
    }
    entries.set(key, m);
  }
  return { kind: 'method' as const, entries, side: { kind: 'method' as const, id: ref, label: info.title } };
}
