/**
 * @module The board over time (read-only): a cell's metrics over its measurements, a task's cells over the
 * nights, what changed since the previous night, a run's (or submission's) measurements, and whether a re-run
 * submission confirmed its claim. Changes are judged by the gate's noise rule (`harness/orchestration/gate/compare.ts`).
 */
import {
  compareRecords,
  GATE_DEFAULTS,
  isFailing,
  noiseTolerance,
  type GateRow,
} from '../harness/orchestration/gate/compare.ts';
import { measurementRecord, metricHistory, type HistoryPoint } from '../harness/orchestration/gate/history.ts';
import type { RecordsFile } from '../harness/orchestration/gate/records.ts';
import { PROTOCOL_VERSION } from '../harness/protocol/cells.ts';
import {
  cellHistory,
  getSubmission,
  latestBefore,
  listMeasurements,
  listNights,
  runMeasurements,
} from '../results/history.ts';
import type { MeasurementRow, RunRow } from '../results/schema.ts';
import type { CellWithMetrics, Store } from '../results/store.ts';
import { NotFound } from './read/not-found.ts';
import { compareMetricNames } from './read/ordering.ts';
import { SUMMARY_METRICS } from './schemas.ts';

export interface MetricSeries {
  readonly metric: string;
  /** A cell's series: its label is the metric; a task's: `method · seed N`. */
  readonly label: string;
  readonly cellId: string;
  readonly points: HistoryPoint[];
}

export interface CellHistory {
  readonly cellId: string;
  readonly measurements: number;
  readonly series: MetricSeries[];
}

export interface TaskHistory {
  readonly taskId: string;
  readonly tier: string;
  /** One chart per metric, a series per cell (the cell's last measurement of each night). */
  readonly charts: { metric: string; series: MetricSeries[] }[];
}

export interface Changes {
  /** The latest night with measurements, and the one its numbers are compared with. */
  readonly night: string | null;
  readonly previous: string | null;
  /** Regressions, failures and improvements beyond noise. */
  readonly rows: GateRow[];
  readonly unchanged: number;
}

export interface RunDetail {
  readonly run: RunRow;
  readonly cells: {
    cellId: string;
    taskId: string;
    methodId: string;
    seed: number;
    status: string;
    verification: string;
    metrics: MeasurementRow['metrics'];
    current: string;
  }[];
  readonly submission: {
    entryId: string;
    entrySha256: string;
    entry: string;
    files: { path: string; sha256: string; bytes: number }[];
  } | null;
}

/** Metrics a history shows: the summary ones and AutoAttack's components, not one line per corruption. */
const charted = (name: string) => !name.startsWith('corruption/');

export function cellHistoryOf(store: Store, cellId: string): CellHistory {
  const rows = cellHistory(store, cellId);
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].filter(charted).sort(compareMetricNames);
  return {
    cellId,
    measurements: rows.length,
    series: names.map((metric) => ({ metric, label: metric, cellId, points: metricHistory(rows, metric) })),
  };
}

const lastPerNight = (rows: readonly MeasurementRow[]) => [...new Map(rows.map((r) => [r.night, r])).values()];

export function taskHistoryOf(
  store: Store,
  cells: readonly CellWithMetrics[],
  taskId: string,
  tier: string,
): TaskHistory {
  const all = listMeasurements(store, { cellIds: cells.map((c) => c.id) });
  const byCell = new Map<string, MeasurementRow[]>();
  for (const m of all) byCell.set(m.cellId, [...(byCell.get(m.cellId) ?? []), m]);
  const charts = SUMMARY_METRICS.map((metric) => ({
    metric,
    series: cells
      .map((c) => ({
        metric,
        label: `${c.methodId} · seed ${c.seed}`,
        cellId: c.id,
        points: metricHistory(lastPerNight(byCell.get(c.id) ?? []), metric),
      }))
      .filter((s) => s.points.length > 0),
  })).filter((c) => c.series.length > 0);
  return { taskId, tier, charts };
}

/** The latest night against the previous measured one, per cell, by the gate's rule. */
export function changesOf(store: Store): Changes {
  const night = listNights(store).at(-1);
  if (!night) return { night: null, previous: null, rows: [], unchanged: 0 };
  const tonight = new Map(
    listMeasurements(store, { night })
      .filter((m) => m.verification === 'measured')
      .map((m) => [m.cellId, m]),
  );
  const ids = [...tonight.keys()];
  const before = latestBefore(store, night, ids);
  const cells = new Map(ids.map((id) => [id, store.getCell(id)]));
  const base = (id: string) => {
    const c = cells.get(id);
    return { cellId: id, taskId: c?.taskId ?? '?', methodId: c?.methodId ?? '?', seed: c?.seed ?? 0 };
  };
  const file = (records: RecordsFile['records']): RecordsFile => ({
    format: 'rftbench-records/1',
    suite: '*',
    tier: '*',
    protocol: PROTOCOL_VERSION,
    createdAt: night,
    records,
  });
  const compared = ids.filter((id) => before.has(id));
  const rows = compareRecords(
    file(compared.map((id) => measurementRecord(base(id), before.get(id)))),
    file(compared.map((id) => measurementRecord(base(id), tonight.get(id)))),
    GATE_DEFAULTS,
  );
  const previous =
    [...before.values()]
      .map((m) => m.night)
      .sort()
      .at(-1) ?? null;
  const shown = rows.filter((r) => isFailing(r) || r.verdict === 'improved');
  return { night, previous, rows: shown, unchanged: rows.length - shown.length };
}

export function runDetailOf(store: Store, runId: string): RunDetail {
  const run = store.getRun(runId);
  if (!run) throw new NotFound('run', runId);
  const cells = runMeasurements(store, runId).map((m) => {
    const c = store.getCell(m.cellId);
    return {
      cellId: m.cellId,
      taskId: c?.taskId ?? '?',
      methodId: c?.methodId ?? '?',
      seed: c?.seed ?? 0,
      status: m.status,
      verification: m.verification,
      metrics: m.metrics,
      current: c
        ? c.runId === runId
          ? 'current record'
          : (verdictOf(c) ?? 'replaced by a later measurement')
        : 'gone',
    };
  });
  const sub = getSubmission(store, runId);
  const sources = sub?.sources as
    | { entry?: string; files?: { path: string; sha256: string; bytes: number }[] }
    | undefined;
  return {
    run,
    cells,
    submission: sub
      ? {
          entryId: sub.entryId,
          entrySha256: sub.entrySha256,
          entry: sources?.entry ?? '',
          files: (sources?.files ?? []).map(({ path, sha256, bytes }) => ({ path, sha256, bytes })),
        }
      : null,
  };
}

export interface Verification {
  readonly verdict: 'verified' | 'disagrees';
  readonly claimRunId: string;
  readonly rows: {
    name: string;
    claimed: number;
    measured: number | null;
    tolerance: number | null;
    agrees: boolean;
  }[];
}

/** A re-measured submission: each claimed number against the measurement, within the gate's noise. */
export function verificationOf(cell: {
  artifacts: Record<string, unknown>;
  metrics: readonly { name: string; value: number; n: number; ciLow: number; ciHigh: number }[];
}): Verification | null {
  const claim = cell.artifacts.selfReported as
    | { runId?: string; metrics?: { name: string; value: number; n: number }[] }
    | undefined;
  if (!claim?.metrics) return null;
  const rows = claim.metrics.map((c) => {
    const m = cell.metrics.find((x) => x.name === c.name);
    const tolerance = m
      ? noiseTolerance(
          { ...c, ciLow: 0, ciHigh: 1 },
          { name: m.name, value: m.value, n: m.n, ciLow: m.ciLow, ciHigh: m.ciHigh },
          GATE_DEFAULTS,
        )
      : null;
    return {
      name: c.name,
      claimed: c.value,
      measured: m?.value ?? null,
      tolerance,
      agrees: !!m && Math.abs(m.value - c.value) <= tolerance!,
    };
  });
  return { verdict: rows.every((r) => r.agrees) ? 'verified' : 'disagrees', claimRunId: claim.runId ?? '', rows };
}

function verdictOf(c: CellWithMetrics): string | undefined {
  const v = verificationOf(c);
  return v ? `re-measured: ${v.verdict}` : undefined;
}
