/**
 * @module The runner: expands a suite into cells, skips cells already complete in the store, runs the
 * rest one by one, and writes each ended cell (completed or failed, with its reason) in one
 * transaction. A crash or kill loses at most the cell in progress; running again resumes.
 * The steps: plan (run-plan.ts), compute the planned cells (run-cells.ts, compute-cell.ts), record each
 * (cell-records.ts).
 */
import type { Cell } from '../../protocol/cells.ts';
import { processLogger } from '../../foundation/util/log.ts';
import { storedSummary } from './cell-records.ts';
import type { CellSummary, RunOptions } from './run-options.ts';
import { announcePlan, planRun } from './run-plan.ts';
import { runPlannedCells } from './run-cells.ts';

export { resolveMethods } from './resolve-methods.ts';
export type { CellSummary, RunOptions } from './run-options.ts';

export async function runSuite(opts: RunOptions): Promise<CellSummary[]> {
  const log = opts.log ?? processLogger().line;
  const plan = await planRun(opts);
  announcePlan(opts, plan, log);
  const done = plan.cells.filter((c) => !plan.policy.todo.has(c.id)).map((c) => storedSummary(opts.store, c));
  if (!plan.todo.length) return inSuiteOrder(plan.cells, done);
  const { computed, elsewhere } = await runPlannedCells(opts, plan, log);
  // Cells another run took: their records if that run has finished them by now.
  const taken = elsewhere.map(({ cell, why }) => storedSummary(opts.store, cell, why));
  return inSuiteOrder(plan.cells, [...done, ...computed, ...taken]);
}

function inSuiteOrder(cells: Cell[], summaries: CellSummary[]): CellSummary[] {
  const byId = new Map(summaries.map((s) => [s.cell.id, s]));
  return cells.map((c) => byId.get(c.id)).filter((s) => s !== undefined);
}
