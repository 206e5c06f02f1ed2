/**
 * @module What the pages read off stored cells: the method config and threat a cell ran with, its cost unit, its
 * sanity flags, the robust metric of a set of cells and a metric's mean ± std over seeds.
 */
import { createHash } from 'node:crypto';
import type { MetricRow } from '../../results/schema.ts';
import type { CellWithMetrics } from '../../results/store.ts';
import { meanStd } from '../format.ts';
import type { MetricStat } from '../schemas.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (isObject(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

/** A short hash of any JSON value, independent of key order (a board row's config id). */
export const shortHash = (v: unknown) => createHash('sha256').update(canonical(v)).digest('hex').slice(0, 8);

/** The method config a cell ran with: `spec.method.config`. */
export function configOf(cell: CellWithMetrics): Json {
  const m = (cell.spec as Json).method;
  return isObject(m) && isObject(m.config) ? m.config : {};
}

export function threatOf(cell: { spec: Json }): { norm: string; eps: number } | null {
  const task = cell.spec.task;
  const t = isObject(task) ? task.threat : undefined;
  return isObject(t) && typeof t.norm === 'string' && typeof t.eps === 'number' ? { norm: t.norm, eps: t.eps } : null;
}

export const costUnit = (cell: { provenance: Json }): 'CPU' | 'GPU' => (cell.provenance.backend === 'tensorflow-gpu' ? 'GPU' : 'CPU');

export function flagsOf(metrics: readonly MetricRow[]): string[] {
  const out = new Set<string>();
  for (const m of metrics) {
    const f = isObject(m.details) ? m.details.flags : undefined;
    if (Array.isArray(f)) for (const x of f) out.add(`${m.name}: ${String(x)}`);
  }
  return [...out];
}

/** A metric over the cells that have it (one per seed): mean, std and each seed's value with its interval. */
export function metricStat(cells: readonly CellWithMetrics[], name: string): MetricStat | undefined {
  const values = [];
  for (const c of cells) {
    const m = c.metrics.find((x) => x.name === name);
    if (m) values.push({ seed: c.seed, cellId: c.id, value: m.value, n: m.n, ciLow: m.ciLow, ciHigh: m.ciHigh });
  }
  if (!values.length) return undefined;
  values.sort((a, b) => a.seed - b.seed);
  const { mean, std } = meanStd(values.map((v) => v.value));
  return { mean, std, seeds: values.length, values };
}

/** AutoAttack when any completed cell has it, else PGD. */
export function robustMetricOf(cells: readonly CellWithMetrics[]): 'autoattack' | 'pgd' {
  return cells.some((c) => c.status === 'completed' && c.metrics.some((m) => m.name === 'autoattack')) ? 'autoattack' : 'pgd';
}
