/**
 * @module Merging result stores (the shards of one suite, nights on different machines, nights of one store) into
 * one, without duplicates and without ever guessing. Measurements are history: every measurement of every input
 * is kept (once per cell and run), so nights and commits add up. Two completed measurements of one cell made by
 * the same code (commit, code hash) on the same backend must agree, else it is an error naming the cell and both
 * files. The latest record of a cell (the `cells` row) is chosen among the inputs': a measured one beats a
 * self-reported one; between records of the same code a completed one beats a failed one (a retry) and equal
 * ones keep the earlier; otherwise the later one is the cell's current record. The output is written to a
 * temporary file and renamed; inputs are opened read-only.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { Store, type CellWithMetrics } from './store.ts';
import {
  listMeasurements,
  listSubmissions,
  measurementOf,
  putMeasurement,
  putSubmission,
  type NewMeasurement,
} from './history.ts';
import type {
  EvaluationRow,
  MeasurementRow,
  MethodInfoRow,
  ModelRow,
  RunRow,
  SourceRow,
  SubmissionRow,
} from './schema.ts';
import { listMethodInfos, putMethodInfos } from './method-info.ts';

export interface MergeReport {
  readonly inputs: number;
  readonly cells: number;
  readonly duplicates: number;
  readonly replacedFailed: number;
  readonly runs: number;
  readonly sources: number;
  readonly measurements: number;
}

interface Candidate {
  readonly cell: CellWithMetrics;
  readonly file: string;
  /** The cell's kept model in that file's store: it travels with the record that is kept. */
  readonly model?: ModelRow;
}

const metricKey = (c: CellWithMetrics) => JSON.stringify(c.metrics.map((m) => [m.name, m.value, m.n]).sort());
const measuredKey = (m: NewMeasurement) =>
  JSON.stringify([
    m.status,
    Object.entries(m.metrics)
      .map(([k, v]) => [k, v.value, v.n])
      .sort(),
  ]);
const codeOf = (c: CellWithMetrics) => {
  const m = measurementOf(c, []);
  return `${m.commit}\u0000${m.codeHash ?? ''}\u0000${m.backend}`;
};
const describe = (c: { id: string; taskId: string; methodId: string; seed: number }) =>
  `cell ${c.id} (${c.taskId} · ${c.methodId} · seed ${c.seed})`;

/** Which of two records of one cell id to keep as its current record; throws when two measurements disagree. */
function pick(a: Candidate, b: Candidate): { keep: Candidate; replacedFailed: boolean } {
  const measured = (c: CellWithMetrics) => (c.verification === 'measured' ? 1 : 0);
  const sameCode = codeOf(a.cell) === codeOf(b.cell);
  let keep: Candidate;
  if (measured(a.cell) !== measured(b.cell)) keep = measured(a.cell) > measured(b.cell) ? a : b;
  else if (sameCode && a.cell.status !== b.cell.status) keep = a.cell.status === 'completed' ? a : b;
  else if (sameCode) {
    if (a.cell.status === 'completed' && metricKey(a.cell) !== metricKey(b.cell)) {
      throw new Error(
        `merge: ${describe(a.cell)} has different results in ${a.file} and ${b.file}; nothing was written`,
      );
    }
    // Equal records (or two failures): keep the earlier-finished one, so the merge does not depend on input order.
    keep = a.cell.finishedAt <= b.cell.finishedAt ? a : b;
  } else keep = a.cell.finishedAt >= b.cell.finishedAt ? a : b; // other code: the later record is the current one
  const other = keep === a ? b : a;
  return { keep, replacedFailed: other.cell.status === 'failed' && keep.cell.status === 'completed' };
}

/** A store's measurements, each cell's current record standing for its own run's (what the store says now). */
function historyOf(store: Store, cells: readonly CellWithMetrics[]): NewMeasurement[] {
  const rows = new Map<string, NewMeasurement>(listMeasurements(store).map((m: MeasurementRow) => [m.id, m]));
  for (const c of cells) {
    const m = measurementOf(c, c.metrics);
    rows.set(m.id, { ...m, night: rows.get(m.id)?.night ?? m.night });
  }
  return [...rows.values()];
}

export function mergeStores(inputs: readonly string[], into: string): MergeReport {
  if (inputs.length === 0) throw new Error('merge: no input stores');
  const sources = [...inputs];
  if (existsSync(into) && !sources.includes(into)) sources.push(into); // merging into an existing store keeps it
  const cells = new Map<string, Candidate>();
  const runs = new Map<string, RunRow>();
  const srcs = new Map<string, SourceRow>();
  const evaluations = new Map<string, EvaluationRow>();
  const history = new Map<string, { m: NewMeasurement; file: string }>();
  const submissions = new Map<string, SubmissionRow>();
  const methodInfos = new Map<string, MethodInfoRow>();
  const cellNames = new Map<string, CellWithMetrics>();
  let duplicates = 0;
  let replacedFailed = 0;
  for (const file of sources) {
    if (!existsSync(file)) throw new Error(`merge: ${file}: no such store`);
    const store = Store.open(file, { readonly: true });
    try {
      for (const r of store.listRuns()) if (!runs.has(r.id)) runs.set(r.id, r);
      for (const s of store.listSources()) {
        const prior = srcs.get(s.id);
        if (!prior || s.createdAt < prior.createdAt) srcs.set(s.id, s);
      }
      for (const e of store.listEvaluations()) if (!evaluations.has(e.id)) evaluations.set(e.id, e);
      const models = new Map(store.listModels().map((m) => [m.cellId, m]));
      const stored = store.listCells();
      for (const s of listSubmissions(store)) if (!submissions.has(s.runId)) submissions.set(s.runId, s);
      for (const m of listMethodInfos(store)) methodInfos.set(m.id, newerMethodInfo(methodInfos.get(m.id), m));
      for (const c of stored) cellNames.set(c.id, c);
      for (const m of historyOf(store, stored)) {
        const prior = history.get(m.id);
        if (prior && measuredKey(prior.m) !== measuredKey(m)) {
          throw new Error(
            `merge: measurement ${m.id} (run ${m.runId}) differs between ${prior.file} and ${file}; nothing was written`,
          );
        }
        if (!prior) history.set(m.id, { m, file });
      }
      for (const cell of stored) {
        const candidate = { cell, file, model: models.get(cell.id) };
        const prior = cells.get(cell.id);
        if (!prior) {
          cells.set(cell.id, candidate);
          continue;
        }
        duplicates++;
        const { keep, replacedFailed: replaced } = pick(prior, candidate);
        if (replaced) replacedFailed++;
        // Two agreeing completed records, one of them with its model kept: keep the model too.
        const other = keep === prior ? candidate : prior;
        const adopt =
          !keep.model &&
          other.model &&
          keep.cell.status === 'completed' &&
          other.cell.status === 'completed' &&
          codeOf(keep.cell) === codeOf(other.cell);
        cells.set(cell.id, adopt ? { ...keep, model: { ...other.model!, cellId: cell.id } } : keep);
      }
    } finally {
      store.close();
    }
  }
  checkAgreement(history.values(), cellNames);
  const tmp = `${into}.merge-${process.pid}`;
  rmSync(tmp, { force: true });
  const out = Store.open(tmp);
  try {
    out.transaction(() => {
      for (const r of runs.values()) out.startRun(r);
      for (const s of srcs.values()) out.putSource(s);
      // History first: each current record then finds its own measurement there (with its night).
      for (const { m } of history.values()) putMeasurement(out, m);
      for (const s of submissions.values()) putSubmission(out, s);
      putMethodInfos(out, [...methodInfos.values()]);
      for (const { cell, model } of cells.values()) {
        const { metrics, ...row } = cell;
        out.recordCell(
          row,
          metrics.map(({ cellId: _drop, ...m }) => m),
          model,
        );
      }
      for (const e of evaluations.values()) out.recordEvaluation(e);
    });
  } catch (err) {
    out.close();
    rmSync(tmp, { force: true });
    throw err;
  }
  out.close();
  for (const suffix of ['-wal', '-shm']) rmSync(`${tmp}${suffix}`, { force: true });
  renameSync(tmp, into);
  return {
    inputs: sources.length,
    cells: cells.size,
    duplicates,
    replacedFailed,
    runs: runs.size,
    sources: srcs.size,
    measurements: history.size,
  };
}

/** Of two descriptions of a method: the registry's over a submission's, then the later one. */
function newerMethodInfo(a: MethodInfoRow | undefined, b: MethodInfoRow): MethodInfoRow {
  if (!a || a.origin !== b.origin) return a?.origin === 'registry' ? a : b;
  return b.updatedAt > a.updatedAt ? b : a;
}

/** Completed, measured measurements of one cell by the same commit, code hash and backend must agree. */
function checkAgreement(
  all: Iterable<{ m: NewMeasurement; file: string }>,
  cells: ReadonlyMap<string, CellWithMetrics>,
): void {
  const seen = new Map<string, { m: NewMeasurement; file: string }>();
  for (const x of all) {
    const { m } = x;
    if (m.status !== 'completed' || m.verification !== 'measured') continue;
    const key = [m.cellId, m.commit, m.codeHash ?? '', m.backend].join('\u0000');
    const prior = seen.get(key);
    if (!prior) {
      seen.set(key, x);
      continue;
    }
    if (measuredKey(prior.m) !== measuredKey(m)) {
      const cell = cells.get(m.cellId);
      const name = cell ? describe(cell) : `cell ${m.cellId}`;
      throw new Error(
        `merge: ${name}, commit ${m.commit}, same code and backend, has different results in ${prior.file} and ${x.file}; nothing was written`,
      );
    }
  }
}
