/** @module A cell's page: every metric, its provenance and artifacts, its kept model and its re-evaluations. */
import type { ModelRow } from '../../results/schema.ts';
import { href } from '../format.ts';
import type { CellDetail } from '../schemas.ts';
import { costUnit, flagsOf } from './cell-facts.ts';
import type { Leaderboard } from './leaderboard.ts';
import { NotFound } from './not-found.ts';

/** What the cell page shows of a kept model (null: the cell kept none). */
function modelOf(row: ModelRow | undefined): CellDetail['model'] {
  if (!row) return null;
  return {
    sha256: row.sha256,
    bytes: row.bytes,
    url: href.cellModel(row.cellId),
    unloadable: row.unloadable,
    createdAt: row.createdAt,
  };
}

/** Throws NotFound for an unknown cell id. */
export function cellDetail(lb: Leaderboard, id: string): CellDetail {
  const c = lb.store.getCell(id);
  if (!c) throw new NotFound('cell', id);
  return {
    id: c.id,
    suite: c.suite,
    tier: c.tier,
    taskId: c.taskId,
    methodId: c.methodId,
    methodTitle: lb.methodInfo(c.methodId).title,
    seed: c.seed,
    status: c.status,
    error: c.error,
    runId: c.runId,
    verification: c.verification,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    trainSeconds: c.trainSeconds,
    evalSeconds: c.evalSeconds,
    cost: { hours: (c.trainSeconds + c.evalSeconds) / 3600, unit: costUnit(c) },
    flags: flagsOf(c.metrics),
    spec: c.spec,
    provenance: c.provenance,
    artifacts: c.artifacts,
    metrics: c.metrics,
    model: modelOf(lb.store.getModel(c.id)),
    evaluations: lb.store.evaluationsOf(c.id).map(({ cellId: _cell, ...e }) => e),
  };
}
