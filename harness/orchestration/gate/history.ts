/**
 * @module The gate over a store's history: a night's records (each cell's measurement of that night, or the latest
 * before it) in the records-file format, so `compareRecords` judges night against night by the same noise rule
 * as against a baseline; and the points of a cell's history where a metric moved beyond that noise.
 */
import { latestBefore } from '../../../results/history.ts';
import type { MeasurementRow } from '../../../results/schema.ts';
import type { Store } from '../../../results/store.ts';
import { expandSuite, PROTOCOL_VERSION } from '../../protocol/cells.ts';
import type { Suite } from '../../protocol/schema.ts';
import { GATE_DEFAULTS, noiseTolerance, type GateOptions } from './compare.ts';
import type { CellRecord, RecordsFile } from './records.ts';

/** A measurement as a gate record (the cell's task, method and seed from the suite). */
export function measurementRecord(
  base: Pick<CellRecord, 'cellId' | 'taskId' | 'methodId' | 'seed'>,
  m: MeasurementRow | undefined,
): CellRecord {
  if (!m) return { ...base, status: 'missing', metrics: [] };
  return {
    ...base,
    status: m.status,
    ...(m.error ? { error: m.error } : {}),
    metrics: Object.entries(m.metrics)
      .map(([name, v]) => ({ name, value: v.value, n: v.n, ciLow: v.ciLow, ciHigh: v.ciHigh }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    commit: m.commit,
    backend: m.backend,
    verification: m.verification,
  };
}

/**
 * The suite's records as of the last night before `night`: per cell its latest measurement from an earlier night.
 * Undefined when no cell of the suite was measured before (a first night).
 */
export function previousNightRecords(
  store: Store,
  suite: Suite,
  night: string,
): { records: RecordsFile; night: string } | undefined {
  const cells = expandSuite(suite);
  const before = latestBefore(
    store,
    night,
    cells.map((c) => c.id),
  );
  if (!before.size) return undefined;
  const records = cells.map((c) =>
    measurementRecord(
      { cellId: c.id, taskId: c.spec.task.id, methodId: c.spec.method.id, seed: c.spec.seed },
      before.get(c.id),
    ),
  );
  const last = [...before.values()]
    .map((m) => m.night)
    .sort()
    .at(-1)!;
  return {
    records: {
      format: 'rftbench-records/1',
      suite: suite.id,
      tier: suite.tier.id,
      protocol: PROTOCOL_VERSION,
      createdAt: `${last}T00:00:00.000Z`,
      records,
    },
    night: last,
  };
}

export interface HistoryPoint {
  readonly measurementId: string;
  readonly night: string;
  readonly commit: string;
  readonly codeHash: string | null;
  readonly backend: string;
  readonly recordedAt: number;
  readonly value: number;
  readonly n: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  /** Against the previous point, by the gate's rule: `regressed`/`improved` beyond noise, else `ok`; null first. */
  readonly change: 'ok' | 'regressed' | 'improved' | null;
  readonly delta: number | null;
  readonly tolerance: number | null;
}

/** One metric of a cell over its completed, measured history, each point judged against the one before it. */
export function metricHistory(
  rows: readonly MeasurementRow[],
  metric: string,
  options: GateOptions = GATE_DEFAULTS,
): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  for (const r of rows) {
    const m = r.metrics[metric];
    if (r.status !== 'completed' || r.verification !== 'measured' || !m) continue;
    const prev = out.at(-1);
    const tolerance = prev ? noiseTolerance({ ...prev, name: metric }, { ...m, name: metric }, options) : null;
    const delta = prev ? m.value - prev.value : null;
    const change = prev ? (delta! < -tolerance! ? 'regressed' : delta! > tolerance! ? 'improved' : 'ok') : null;
    out.push({
      measurementId: r.id,
      night: r.night,
      commit: r.commit,
      codeHash: r.codeHash,
      backend: r.backend,
      recordedAt: r.recordedAt,
      value: m.value,
      n: m.n,
      ciLow: m.ciLow,
      ciHigh: m.ciHigh,
      change,
      delta,
      tolerance,
    });
  }
  return out;
}
