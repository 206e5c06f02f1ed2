/**
 * @module Every cell of a store with its metrics, as JSON (one object per cell: metrics with their details,
 * provenance, spec, kept model) or CSV (one row per cell and metric, for a spreadsheet or pandas). Read-only:
 * `rftbench export` opens the store read-only and never creates one.
 */
import { existsSync } from 'node:fs';
import { toCsv } from '../leaderboard/csv.ts';
import { Store } from './store.ts';
import type { MetricValue } from '../harness/orchestration/evaluate/metric.ts';

export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A metric as the harness reports it (harness/orchestration/evaluate/metric.ts). */
export type ExportedMetric = MetricValue;

export interface ExportedCell {
  id: string;
  suite: string;
  tier: string;
  taskId: string;
  methodId: string;
  seed: number;
  status: 'completed' | 'failed';
  error: string | null;
  verification: 'measured' | 'self-reported';
  runId: string;
  startedAt: string;
  finishedAt: string;
  trainSeconds: number;
  evalSeconds: number;
  metrics: ExportedMetric[];
  provenance: Record<string, unknown>;
  spec: Record<string, unknown>;
  /** The kept fine-tuned model (`--keep-models all`), or null. */
  model: { sha256: string; path: string; bytes: number } | null;
}

/** The cells of the store at `path`, oldest first. A missing file is an error naming it (no empty store is made). */
export function exportCells(path: string): ExportedCell[] {
  if (path !== ':memory:' && !existsSync(path)) throw new Error(`${path}: no such results store`);
  let store: Store | undefined;
  try {
    store = Store.open(path, { readonly: true });
    const models = new Map(store.listModels().map((m) => [m.cellId, m]));
    return store.listCells().map((c) => {
      const model = models.get(c.id);
      return {
        id: c.id,
        suite: c.suite,
        tier: c.tier,
        taskId: c.taskId,
        methodId: c.methodId,
        seed: c.seed,
        status: c.status,
        error: c.error,
        verification: c.verification,
        runId: c.runId,
        startedAt: new Date(c.startedAt).toISOString(),
        finishedAt: new Date(c.finishedAt).toISOString(),
        trainSeconds: c.trainSeconds,
        evalSeconds: c.evalSeconds,
        metrics: c.metrics.map(({ name, value, n, ciLow, ciHigh, details }) => ({
          name,
          value,
          n,
          ciLow,
          ciHigh,
          details,
        })),
        provenance: c.provenance,
        spec: c.spec,
        model: model ? { sha256: model.sha256, path: model.path, bytes: model.bytes } : null,
      };
    });
  } catch (err) {
    // Not a SQLite file, or a store without a table this version reads.
    throw new Error(`${path}: cannot read the results store: ${(err as Error).message}`);
  } finally {
    store?.close();
  }
}

export const CSV_COLUMNS = [
  'cell_id',
  'suite',
  'tier',
  'task_id',
  'method_id',
  'seed',
  'status',
  'verification',
  'metric',
  'value',
  'n',
  'ci_low',
  'ci_high',
  'commit',
  'backend',
  'run_id',
  'started_at',
  'finished_at',
  'train_seconds',
  'eval_seconds',
  'error',
] as const;

/** One row per (cell, metric); a cell without metrics (a failed one) gets one row with the metric columns empty. */
export function cellsCsv(cells: readonly ExportedCell[]): string {
  const rows = cells.flatMap((c) => {
    const cell = [c.id, c.suite, c.tier, c.taskId, c.methodId, c.seed, c.status, c.verification];
    const after = [
      String(c.provenance.commit ?? ''),
      String(c.provenance.backend ?? ''),
      c.runId,
      c.startedAt,
      c.finishedAt,
      c.trainSeconds,
      c.evalSeconds,
      c.error,
    ];
    const metrics = c.metrics.length ? c.metrics : [undefined];
    return metrics.map((m) => [...cell, m?.name, m?.value, m?.n, m?.ciLow, m?.ciHigh, ...after]);
  });
  return toCsv(CSV_COLUMNS, rows);
}

export function formatExport(cells: readonly ExportedCell[], format: ExportFormat): string {
  return format === 'csv' ? cellsCsv(cells) : `${JSON.stringify(cells, null, 2)}\n`;
}
