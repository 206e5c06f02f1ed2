/**
 * @module Measurement history: every record of a cell over time (night, commit, code hash, backend, numbers),
 * beside the `cells` table that keeps the latest. The Store appends a measurement in the same transaction as the
 * cell (`Store.recordCell`); these are the readers. A store written before the `measurements` table existed (an
 * older file opened read-only, so not migrated) reads as one measurement per cell, derived from the cell itself.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import * as schema from './schema.ts';
import type { CellRow, MeasuredMetric, MeasurementRow } from './schema.ts';
import type { NewCell, NewMetric, Store } from './store.ts';

export type NewMeasurement = typeof schema.measurements.$inferInsert;

/** `YYYY-MM-DD` (UTC) of a time in ms. */
export const nightOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export const measurementId = (cellId: string, runId: string): string => `${cellId}:${runId}`;

/** The measurement a cell record stands for. `night` defaults to the day the cell finished (UTC). */
export function measurementOf(
  cell: NewCell | CellRow,
  metrics: readonly Omit<NewMetric, 'details'>[],
  night?: string,
): NewMeasurement {
  const prov = cell.provenance as Record<string, unknown>;
  const code = prov.code as { hash?: unknown } | undefined;
  return {
    id: measurementId(cell.id, cell.runId),
    cellId: cell.id,
    runId: cell.runId,
    night: night ?? nightOf(cell.finishedAt),
    commit: typeof prov.commit === 'string' ? prov.commit : 'unknown',
    codeHash: typeof code?.hash === 'string' ? code.hash : null,
    backend: typeof prov.backend === 'string' ? prov.backend : 'unknown',
    status: cell.status,
    error: cell.error ?? null,
    verification: cell.verification ?? 'measured',
    metrics: Object.fromEntries(
      metrics.map((m) => [
        m.name,
        { value: m.value, n: m.n, ciLow: m.ciLow, ciHigh: m.ciHigh } satisfies MeasuredMetric,
      ]),
    ),
    recordedAt: cell.finishedAt,
  };
}

export interface MeasurementQuery {
  cellIds?: readonly string[];
  night?: string;
}

/** Measurements, oldest first (by time recorded, then id). */
export function listMeasurements(store: Store, q: MeasurementQuery = {}): MeasurementRow[] {
  if (!store.hasTable('measurements')) {
    const cells = q.cellIds
      ? q.cellIds.map((id) => store.getCell(id)).filter((c) => c !== undefined)
      : store.listCells();
    return cells
      .map((c) => measurementOf(c, c.metrics) as MeasurementRow)
      .filter((m) => !q.night || m.night === q.night);
  }
  const { measurements: t } = schema;
  const night = q.night ? eq(t.night, q.night) : undefined;
  const order = [asc(t.recordedAt), asc(t.id)];
  if (!q.cellIds)
    return store.db
      .select()
      .from(t)
      .where(night)
      .orderBy(...order)
      .all();
  const out: MeasurementRow[] = [];
  for (let i = 0; i < q.cellIds.length; i += 500) {
    const ids = inArray(t.cellId, q.cellIds.slice(i, i + 500));
    out.push(
      ...store.db
        .select()
        .from(t)
        .where(night ? and(ids, night) : ids)
        .orderBy(...order)
        .all(),
    );
  }
  return out.sort((a, b) => a.recordedAt - b.recordedAt || (a.id < b.id ? -1 : 1));
}

/** One cell's measurements, oldest first. */
export function cellHistory(store: Store, cellId: string): MeasurementRow[] {
  return listMeasurements(store, { cellIds: [cellId] });
}

/** The nights that have measurements, oldest first. */
export function listNights(store: Store): string[] {
  if (!store.hasTable('measurements')) return [...new Set(listMeasurements(store).map((m) => m.night))].sort();
  const { measurements: t } = schema;
  return store.db
    .selectDistinct({ night: t.night })
    .from(t)
    .orderBy(asc(t.night))
    .all()
    .map((r) => r.night);
}

/** Per cell, the code hashes of its measurements on `night` (what a resumed nightly has done already). */
export function measuredOn(
  store: Store,
  night: string,
  cellIds: readonly string[],
): Map<string, { codeHash: string | null; status: string }[]> {
  const out = new Map<string, { codeHash: string | null; status: string }[]>();
  for (const m of listMeasurements(store, { cellIds, night }))
    out.set(m.cellId, [...(out.get(m.cellId) ?? []), { codeHash: m.codeHash, status: m.status }]);
  return out;
}

/** Per cell, the latest measurement recorded on a night before `night` (the previous night's numbers). */
export function latestBefore(store: Store, night: string, cellIds: readonly string[]): Map<string, MeasurementRow> {
  const out = new Map<string, MeasurementRow>();
  for (const m of listMeasurements(store, { cellIds })) {
    if (m.night >= night || m.verification !== 'measured') continue;
    const prior = out.get(m.cellId);
    if (!prior || m.night > prior.night || (m.night === prior.night && m.recordedAt >= prior.recordedAt))
      out.set(m.cellId, m);
  }
  return out;
}

/** The code hash of each given cell's latest record (`provenance.code.hash`); absent when it has none. */
export function latestCodeHashes(store: Store, cellIds: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const { cells } = schema;
  for (let i = 0; i < cellIds.length; i += 500) {
    const rows = store.db
      .select({ id: cells.id, hash: sql<string | null>`json_extract(${cells.provenance}, '$.code.hash')` })
      .from(cells)
      .where(inArray(cells.id, cellIds.slice(i, i + 500)))
      .all();
    for (const r of rows) if (typeof r.hash === 'string') out.set(r.id, r.hash);
  }
  return out;
}

/** The measurements of one run (a submission's claims stay findable after the nightly replaced its cells). */
export function runMeasurements(store: Store, runId: string): MeasurementRow[] {
  if (!store.hasTable('measurements')) return listMeasurements(store).filter((m) => m.runId === runId);
  const { measurements: t } = schema;
  return store.db.select().from(t).where(eq(t.runId, runId)).orderBy(asc(t.recordedAt), asc(t.id)).all();
}

/** Adds a measurement unless one with its id is there (a merge copying history). */
export function putMeasurement(store: Store, m: NewMeasurement): void {
  store.db.insert(schema.measurements).values(m).onConflictDoNothing().run();
}

/** Stored submissions (their entry code), oldest first; none in a store older than the table. */
export function listSubmissions(store: Store): schema.SubmissionRow[] {
  if (!store.hasTable('submissions')) return [];
  return store.db.select().from(schema.submissions).orderBy(asc(schema.submissions.createdAt)).all();
}

export function getSubmission(store: Store, runId: string): schema.SubmissionRow | undefined {
  if (!store.hasTable('submissions')) return undefined;
  return store.db.select().from(schema.submissions).where(eq(schema.submissions.runId, runId)).get();
}

export function putSubmission(store: Store, row: schema.SubmissionRow): void {
  store.db.insert(schema.submissions).values(row).onConflictDoNothing().run();
}
