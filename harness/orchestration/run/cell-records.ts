/**
 * @module What the runner writes for an ended cell, completed or failed (one transaction, with its claim
 * dropped), and what it reports for a cell it did not compute.
 */
import type { NewModel, Store } from '../../../results/store.ts';
import type { MetricValue } from '../evaluate/evaluate.ts';
import type { Cell } from '../../protocol/cells.ts';
import { discardTrainState } from '../train/train-state.ts';
import type { CellClaims } from './cell-claims.ts';
import type { RunOptions, CellSummary } from './run-options.ts';
import type { RunPlan } from './run-plan.ts';
import type { CellOutcome } from './run-cell.ts';

/** A cell's summary from its stored record (computed earlier or by another run); `why` when there is none. */
export function storedSummary(store: Store, cell: Cell, why?: string): CellSummary {
  const stored = store.getCell(cell.id);
  return {
    cell,
    status: 'skipped',
    error: stored ? (stored.error ?? undefined) : why,
    metrics: stored?.metrics ?? [],
    seconds: 0,
  };
}

export class CellRecorder {
  constructor(
    private readonly opts: RunOptions,
    private readonly plan: RunPlan,
    private readonly runId: string,
    private readonly claims: CellClaims,
  ) {}

  completed(cell: Cell, startedAt: number, out: CellOutcome, kept: NewModel | undefined): void {
    const { metrics, trainSeconds, evalSeconds } = out;
    const provenance = { ...out.provenance, code: this.plan.codes.get(cell.spec.method.id) };
    const artifacts = this.withClaimed(cell, out.artifacts);
    const row = { ...this.row(cell, startedAt), status: 'completed' as const, provenance, artifacts };
    this.write(cell, { ...row, finishedAt: Date.now(), trainSeconds, evalSeconds }, metrics, kept);
  }

  failed(cell: Cell, startedAt: number, error: string): void {
    const provenance = {
      ...this.plan.environment,
      code: this.plan.codes.get(cell.spec.method.id),
    } as unknown as Record<string, unknown>;
    const row = { ...this.row(cell, startedAt), status: 'failed' as const, error, provenance, artifacts: {} };
    this.write(cell, { ...row, finishedAt: Date.now(), trainSeconds: 0, evalSeconds: 0 }, [], undefined);
  }

  /** What every ended cell records, completed or failed. */
  private row(cell: Cell, startedAt: number) {
    const { task, method, seed } = cell.spec;
    const { suite } = this.plan;
    const spec = cell.spec as unknown as Record<string, unknown>;
    const ids = { id: cell.id, suite: suite.id, tier: suite.tier.id, taskId: task.id, methodId: method.id, seed };
    return { ...ids, runId: this.runId, spec, startedAt };
  }

  /** A re-run of a submission keeps what was claimed beside what was measured. */
  private withClaimed(cell: Cell, artifacts: Record<string, unknown>): Record<string, unknown> {
    const claimed = this.plan.selfReported.has(cell.id) ? this.opts.store.getCell(cell.id) : undefined;
    if (!claimed) return artifacts;
    const metrics = claimed.metrics.map((m) => ({ name: m.name, value: m.value, n: m.n }));
    return { ...artifacts, selfReported: { runId: claimed.runId, metrics } };
  }

  private write(
    cell: Cell,
    row: Parameters<Store['recordCell']>[0],
    metrics: MetricValue[],
    kept: NewModel | undefined,
  ): void {
    const record = { night: this.plan.night, replace: this.plan.policy.replace.has(cell.id) };
    this.claims.record(cell.id, () => this.opts.store.recordCell(row, metrics, kept, record));
    discardTrainState(cell.id, { dataDir: this.opts.dataDir, ...this.opts.training });
  }
}
