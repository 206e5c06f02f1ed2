/**
 * @module Merging result stores (the shards of one suite, or nights on different machines) into one,
 * without duplicates and without ever guessing: the same cell id in two inputs is kept once when the
 * records agree (same status and the same metric values), a completed record beats a failed one, a measured
 * one beats a self-reported one, and two completed measurements that disagree are an error naming the cell
 * and both files. The output is written to a temporary file and renamed; inputs are opened read-only.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { Store, type CellWithMetrics } from './store.ts';
import type { RunRow, SourceRow } from './schema.ts';

export interface MergeReport {
  readonly inputs: number;
  readonly cells: number;
  readonly duplicates: number;
  readonly replacedFailed: number;
  readonly runs: number;
  readonly sources: number;
}

interface Candidate {
  readonly cell: CellWithMetrics;
  readonly file: string;
}

const metricKey = (c: CellWithMetrics) => JSON.stringify(c.metrics.map((m) => [m.name, m.value, m.n]).sort());

/** Which of two records of one cell id to keep; throws when two measurements disagree. */
function pick(a: Candidate, b: Candidate): { keep: Candidate; replacedFailed: boolean } {
  const rank = (c: CellWithMetrics) => (c.status === 'completed' ? 2 : 0) + (c.verification === 'measured' ? 1 : 0);
  if (rank(a.cell) !== rank(b.cell)) {
    const keep = rank(a.cell) > rank(b.cell) ? a : b;
    return { keep, replacedFailed: (keep === a ? b : a).cell.status === 'failed' && keep.cell.status === 'completed' };
  }
  if (a.cell.status === 'completed' && metricKey(a.cell) !== metricKey(b.cell)) {
    throw new Error(`merge: cell ${a.cell.id} (${a.cell.taskId} · ${a.cell.methodId} · seed ${a.cell.seed}) has different results in ${a.file} and ${b.file}; nothing was written`);
  }
  // Equal records (or two failures): keep the earlier-finished one, so the merge does not depend on input order.
  return { keep: a.cell.finishedAt <= b.cell.finishedAt ? a : b, replacedFailed: false };
}

export function mergeStores(inputs: readonly string[], into: string): MergeReport {
  if (inputs.length === 0) throw new Error('merge: no input stores');
  const sources = [...inputs];
  if (existsSync(into) && !sources.includes(into)) sources.push(into); // merging into an existing store keeps it
  const cells = new Map<string, Candidate>();
  const runs = new Map<string, RunRow>();
  const srcs = new Map<string, SourceRow>();
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
      for (const cell of store.listCells()) {
        const candidate = { cell, file };
        const prior = cells.get(cell.id);
        if (!prior) {
          cells.set(cell.id, candidate);
          continue;
        }
        duplicates++;
        const { keep, replacedFailed: replaced } = pick(prior, candidate);
        if (replaced) replacedFailed++;
        cells.set(cell.id, keep);
      }
    } finally {
      store.close();
    }
  }
  const tmp = `${into}.merge-${process.pid}`;
  rmSync(tmp, { force: true });
  const out = Store.open(tmp);
  try {
    out.transaction(() => {
      for (const r of runs.values()) out.startRun(r);
      for (const s of srcs.values()) out.putSource(s);
      for (const { cell } of cells.values()) {
        const { metrics, ...row } = cell;
        out.recordCell(row, metrics.map(({ cellId: _drop, ...m }) => m));
      }
    });
  } catch (err) {
    out.close();
    rmSync(tmp, { force: true });
    throw err;
  }
  out.close();
  for (const suffix of ['-wal', '-shm']) rmSync(`${tmp}${suffix}`, { force: true });
  renameSync(tmp, into);
  return { inputs: sources.length, cells: cells.size, duplicates, replacedFailed, runs: runs.size, sources: srcs.size };
}
