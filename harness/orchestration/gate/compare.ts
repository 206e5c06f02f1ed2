/**
 * @module The regression gate's rule. Every metric is an accuracy on n test points, so two runs of an
 * unchanged method differ by sampling noise (other backends, other hardware): a drop counts as a
 * regression only beyond z standard errors of the difference of two binomial proportions,
 * z * sqrt(p(1-p)(1/n1 + 1/n2)) with p pooled, and beyond an absolute floor `minDrop`. On the same
 * backend runs are deterministic, so any real change shows up as soon as it exceeds that noise.
 */
import type { CellRecord, MetricRecord, RecordsFile } from './records.ts';

export interface GateOptions {
  /** Standard errors of the difference a drop must exceed. @default 3 (many metrics are gated at once) */
  readonly z: number;
  /** Smallest drop (absolute accuracy) that can fail the gate. @default 0 */
  readonly minDrop: number;
}

export const GATE_DEFAULTS: GateOptions = { z: 3, minDrop: 0 };

export type Verdict = 'ok' | 'regressed' | 'improved' | 'failed' | 'missing' | 'new';

export interface GateRow {
  readonly cellId: string;
  readonly taskId: string;
  readonly methodId: string;
  readonly seed: number;
  readonly metric: string;
  readonly baseline?: number;
  readonly current?: number;
  /** current - baseline */
  readonly delta?: number;
  /** Largest drop sampling noise explains. */
  readonly tolerance?: number;
  readonly verdict: Verdict;
  readonly note?: string;
}

/** The largest drop sampling noise explains for accuracies measured on n1 and n2 points. */
export function noiseTolerance(baseline: MetricRecord, current: MetricRecord, { z, minDrop }: GateOptions): number {
  const k = baseline.value * baseline.n + current.value * current.n;
  const total = baseline.n + current.n;
  // Pooled proportion, kept off 0 and 1 so a perfect score still has a non-zero noise floor.
  const p = Math.min(Math.max(k / total, 0.5 / total), 1 - 0.5 / total);
  return Math.max(minDrop, z * Math.sqrt(p * (1 - p) * (1 / baseline.n + 1 / current.n)));
}

const FAILING: ReadonlySet<Verdict> = new Set(['regressed', 'failed', 'missing', 'new']);

export function isFailing(row: GateRow): boolean {
  return FAILING.has(row.verdict);
}

function key(r: CellRecord): string {
  return r.cellId;
}

/**
 * Compares every (cell, metric) of the baseline with the current records. A failed or missing cell, a
 * metric that disappeared, and a cell the baseline does not know (the protocol changed: ids changed)
 * all fail the gate: results of different protocols are never silently compared.
 */
export function compareRecords(
  baseline: RecordsFile,
  current: RecordsFile,
  options: GateOptions = GATE_DEFAULTS,
): GateRow[] {
  const rows: GateRow[] = [];
  const now = new Map(current.records.map((r) => [key(r), r]));
  const known = new Set(baseline.records.map(key));
  for (const b of baseline.records) {
    const id = { cellId: b.cellId, taskId: b.taskId, methodId: b.methodId, seed: b.seed };
    const c = now.get(key(b));
    if (b.status !== 'completed') continue; // nothing to hold a cell to
    if (!c || c.status === 'missing') {
      rows.push({ ...id, metric: '*', verdict: 'missing', note: 'cell not in the current results' });
      continue;
    }
    if (c.status === 'failed') {
      rows.push({ ...id, metric: '*', verdict: 'failed', note: c.error ?? 'failed' });
      continue;
    }
    const metrics = new Map(c.metrics.map((m) => [m.name, m]));
    for (const bm of b.metrics) {
      const cm = metrics.get(bm.name);
      if (!cm) {
        rows.push({
          ...id,
          metric: bm.name,
          baseline: bm.value,
          verdict: 'missing',
          note: 'metric not in the current results',
        });
        continue;
      }
      const tolerance = noiseTolerance(bm, cm, options);
      const delta = cm.value - bm.value;
      const verdict: Verdict = delta < -tolerance ? 'regressed' : delta > tolerance ? 'improved' : 'ok';
      rows.push({ ...id, metric: bm.name, baseline: bm.value, current: cm.value, delta, tolerance, verdict });
    }
  }
  for (const c of current.records) {
    if (known.has(key(c)) || c.status === 'missing') continue;
    rows.push({
      cellId: c.cellId,
      taskId: c.taskId,
      methodId: c.methodId,
      seed: c.seed,
      metric: '*',
      verdict: 'new',
      note: 'no baseline for this cell (protocol or suite changed?): review, then --update',
    });
  }
  return rows;
}
