/** @module The methods index: every method the store describes or has cells for, described ones first. */
import type { MethodSummary } from '../schemas.ts';
import type { Leaderboard } from './leaderboard.ts';

export function methodSummaries(lb: Leaderboard): MethodSummary[] {
  const ids = [...new Set([...lb.methodInfos().keys(), ...lb.store.listMethodIds()])];
  const counts = new Map<string, { tasks: Set<string>; cells: number }>();
  for (const c of lb.store.queryCells({}, { metrics: [] })) {
    const e = counts.get(c.methodId) ?? { tasks: new Set(), cells: 0 };
    e.tasks.add(c.taskId);
    e.cells++;
    counts.set(c.methodId, e);
  }
  return ids.map((id) => {
    const i = lb.methodInfo(id);
    return {
      id,
      title: i.title,
      registered: i.registered,
      paper: i.paper ? { ...i.paper } : null,
      description: i.description,
      tasks: counts.get(id)?.tasks.size ?? 0,
      cells: counts.get(id)?.cells ?? 0,
    };
  });
}
