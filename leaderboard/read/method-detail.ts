/** @module A method's page: what the store says about it (paper, config schema and defaults) and its rows on every board. */
import type { MethodDetail } from '../schemas.ts';
import type { Leaderboard } from './leaderboard.ts';
import { methodSummary } from './method-list.ts';
import { NotFound } from './not-found.ts';

/** Throws NotFound for an id the store neither describes nor has cells for. */
export function methodDetail(lb: Leaderboard, id: string): MethodDetail {
  const info = lb.methodInfo(id);
  const cells = lb.store.queryCells({ methodId: id }, { metrics: [] });
  if (!info.registered && !cells.length) throw new NotFound('method', id);
  const results: MethodDetail['results'] = [];
  const boards = [...new Set(cells.map((c) => `${c.taskId}\u0000${c.tier}`))].sort();
  for (const key of boards) {
    const [taskId, tier] = key.split('\u0000');
    const board = lb.board(taskId, { tier });
    for (const row of board.rows.filter((r) => r.methodId === id)) {
      results.push({
        taskId,
        tier,
        robustMetric: board.robustMetric,
        of: board.rows.filter((r) => r.rank !== null).length,
        row,
      });
    }
  }
  const counts = { tasks: new Set(cells.map((c) => c.taskId)).size, cells: cells.length };
  return { ...methodSummary(info, counts), configSchema: info.configSchema, defaults: info.defaults, results };
}
