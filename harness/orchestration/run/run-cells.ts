/**
 * @module The cells a run computes, in order, under one run record. Each is claimed first: another `rftbench run`
 * on this store may share the work, and each cell is computed only by the run that claims it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { NewRun } from '../../../results/store.ts';
import type { Cell } from '../../protocol/cells.ts';
import { EXIT_INTERRUPTED, installStopSignals, TrainingStopped } from '../train/graceful-stop.ts';
import { CellClaims } from './cell-claims.ts';
import { CellRecorder } from './cell-records.ts';
import { computeCell } from './compute-cell.ts';
import type { CellSummary, RunOptions } from './run-options.ts';
import type { RunPlan } from './run-plan.ts';
import { SuiteProgress } from './suite-progress.ts';
import { collectGarbage } from '../../foundation/util/collect-garbage.ts';

export interface CellsRun {
  /** The cells this run computed (completed or failed). */
  computed: CellSummary[];
  /** The cells another run had claimed, with why. */
  elsewhere: { cell: Cell; why: string }[];
}

export async function runPlannedCells(
  opts: RunOptions,
  plan: RunPlan,
  log: (message: string) => void,
): Promise<CellsRun> {
  const runId = randomUUID();
  opts.store.startRun(runRecord(opts, plan, runId));
  // SIGTERM/SIGINT: a training step finishes and checkpoints first (graceful-stop.ts); else stop now.
  const uninstallStop = installStopSignals(() => {
    opts.store.finishRun(runId, 'interrupted');
    process.exit(EXIT_INTERRUPTED);
  }, log);
  const claims = new CellClaims({ store: opts.store, runId, cellIds: plan.todo.map((c) => c.id), log });
  // Cell-start/end events and the progress lines with ETAs (suite-progress.ts).
  const loop = {
    opts,
    plan,
    recorder: new CellRecorder(opts, plan, runId, claims),
    progress: new SuiteProgress(log, plan.todo.length),
  };
  const result: CellsRun = { computed: [], elsewhere: [] };
  try {
    for (const [i, cell] of plan.todo.entries()) {
      const { task, method, seed } = cell.spec;
      const label = `[${i + 1}/${plan.todo.length}] ${task.id} · ${method.id} · seed ${seed}`;
      const cellLog = (m: string) => log(`${label}: ${m}`);
      const claim = claims.take(cell.id);
      if (!claim.ok) {
        cellLog(`skipped: ${claim.why}`);
        loop.progress.skip();
        result.elsewhere.push({ cell, why: claim.why });
        continue;
      }
      const startedAt = Date.now();
      loop.progress.cellStart(i, label, { cell: cell.id, task: task.id, method: method.id, seed });
      result.computed.push(await computeCell(loop, cell, startedAt, cellLog));
      // The cell's garbage goes before the next starts: a suite's RSS then stays flat (util/collect-garbage.ts).
      collectGarbage();
    }
    opts.store.finishRun(runId, 'completed');
  } catch (err) {
    if (err instanceof TrainingStopped) opts.store.finishRun(runId, 'interrupted');
    throw err;
  } finally {
    claims.close();
    uninstallStop();
  }
  return result;
}

/** The run's record: what ran, where, with which code; the host and pid let a later run spot it killed. */
function runRecord(opts: RunOptions, plan: RunPlan, id: string): NewRun {
  const { suite, environment } = plan;
  const where = { shard: opts.shard ?? null, host: hostname(), pid: process.pid };
  return {
    id,
    suite: suite.id,
    tier: suite.tier.id,
    command: opts.command,
    startedAt: Date.now(),
    status: 'running',
    commit: environment.commit,
    backend: environment.backend,
    environment: { ...environment, ...where } as unknown as Record<string, unknown>,
  };
}
