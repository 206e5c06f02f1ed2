/** @module The home page's read model: every (task, tier) with its best entry and the date of its last cell. */
import type { TaskSummary } from '../schemas.ts';
import type { Leaderboard } from './leaderboard.ts';
import { rankTier } from './ordering.ts';

export function taskSummaries(lb: Leaderboard): TaskSummary[] {
  const out: TaskSummary[] = [];
  for (const t of lb.store.listTaskTiers()) {
    const board = lb.board(t.taskId, { tier: t.tier });
    const best = board.rows[0]?.robust ? board.rows[0] : undefined;
    out.push({
      taskId: t.taskId,
      tier: t.tier,
      suites: t.suites,
      threat: board.threat,
      methods: t.methods,
      cells: t.cells,
      completed: t.completed,
      lastFinishedAt: t.lastFinishedAt,
      robustMetric: board.robustMetric,
      best: best
        ? {
            methodId: best.methodId,
            title: best.title,
            robust: best.robust!.mean,
            clean: best.metrics.clean?.mean ?? null,
          }
        : null,
    });
  }
  return out.sort((a, b) => a.taskId.localeCompare(b.taskId) || rankTier(a.tier) - rankTier(b.tier));
}
