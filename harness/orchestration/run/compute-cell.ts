/**
 * @module One claimed cell of a run: trained and evaluated (run-cell.ts), its model kept, recorded, and its end
 * reported. A failing entry (divergence, a bug) fails its cell only; the suite goes on.
 */
import type { NewModel } from '../../../results/store.ts';
import type { Classifier } from '../../foundation/models/classifier.ts';
import type { Cell } from '../../protocol/cells.ts';
import { TrainingStopped } from '../train/graceful-stop.ts';
import { withTrainingProgress } from '../train/progress.ts';
import { saveCellModel } from './cell-model.ts';
import type { CellRecorder } from './cell-records.ts';
import { runCell, type CellOutcome } from './run-cell.ts';
import type { CellSummary, RunOptions } from './run-options.ts';
import type { RunPlan } from './run-plan.ts';
import type { SuiteProgress } from './suite-progress.ts';

/** What every cell of a run shares. */
export interface CellLoop {
  opts: RunOptions;
  plan: RunPlan;
  recorder: CellRecorder;
  progress: SuiteProgress;
}

export async function computeCell(
  { opts, plan, recorder, progress }: CellLoop,
  cell: Cell,
  startedAt: number,
  cellLog: (message: string) => void,
): Promise<CellSummary> {
  try {
    const keeper = modelKeeper(opts, cell, cellLog);
    const out = await withTrainingProgress(progress.training, () =>
      runCell(cell, plan.entries.get(cell.spec.method.id)!, {
        store: opts.store,
        environment: plan.environment,
        dataDir: opts.dataDir,
        log: cellLog,
        onEvalBatch: progress.evalBatch,
        keepModel: (opts.keepModels ?? 'all') === 'all' ? keeper.keep : undefined,
        training: opts.training,
      }),
    );
    recorder.completed(cell, startedAt, out, keeper.kept());
    const { metrics, trainSeconds, evalSeconds } = out;
    const seconds = (Date.now() - startedAt) / 1000;
    const scores = metrics.map((m) => `${m.name} ${(m.value * 100).toFixed(1)}%`).join(', ');
    const done = `done in ${seconds.toFixed(1)} s: ${scores}`;
    progress.cellEnd({
      status: 'completed',
      msg: done,
      seconds,
      trainSeconds,
      evalSeconds,
      fields: { metrics: Object.fromEntries(metrics.map((m) => [m.name, m.value])) },
    });
    return { cell, status: 'completed', metrics, seconds };
  } catch (err) {
    if (err instanceof TrainingStopped) throw err; // not a failure: the cell resumes next time
    const error = err instanceof Error ? err.message : String(err);
    progress.cellEnd({
      status: 'failed',
      msg: `FAILED: ${error}`,
      seconds: (Date.now() - startedAt) / 1000,
      fields: { error },
    });
    recorder.failed(cell, startedAt, error);
    return { cell, status: 'failed', error, metrics: [], seconds: (Date.now() - startedAt) / 1000 };
  }
}

/** Saves the evaluated model before runCell disposes it; its row goes in with the cell's record. */
function modelKeeper(opts: RunOptions, cell: Cell, cellLog: (message: string) => void) {
  let kept: NewModel | undefined;
  const keep = (model: Classifier, o: CellOutcome) => {
    kept = saveCellModel(model, {
      cellId: cell.id,
      cellSpec: cell.spec,
      provenance: o.provenance,
      dataDir: opts.dataDir,
    });
    cellLog(
      `model kept: ${kept.path}${kept.unloadable ? ` (cannot be rebuilt from its spec: ${kept.unloadable})` : ''}`,
    );
  };
  return { keep, kept: () => kept };
}
