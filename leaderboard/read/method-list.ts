/** @module The methods index: every method the store describes or has cells for, described ones first. */
import type { MethodSummary } from '../schemas.ts';
import type { Leaderboard } from './leaderboard.ts';
import type { MethodInfo } from './method-info.ts';

export function methodSummaries(lb: Leaderboard): MethodSummary[] {
  const ids = [...new Set([...lb.methodInfos().keys(), ...lb.store.listMethodIds()])];
  const counts = new Map<string, { tasks: Set<string>; cells: number }>();
  for (const c of lb.store.queryCells({}, { metrics: [] })) {
    const e = counts.get(c.methodId) ?? { tasks: new Set(), cells: 0 };
    e.tasks.add(c.taskId);
    e.cells++;
    counts.set(c.methodId, e);
  }
  return ids.map((id) =>
    methodSummary(lb.methodInfo(id), { tasks: counts.get(id)?.tasks.size ?? 0, cells: counts.get(id)?.cells ?? 0 }),
  );
}

/** A method as the index lists it (and its page heads it): what the store says about it, and its counts. */
export function methodSummary(info: MethodInfo, counts: { tasks: number; cells: number }): MethodSummary {
  const { id, title, registered, description } = info;
  return { id, title, registered, paper: info.paper ? { ...info.paper } : null, description, ...counts };
}
