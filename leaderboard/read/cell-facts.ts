/**
 * @module What the pages read off stored cells: the method config and threat a cell ran with, its cost unit, its
 * sanity flags, the robust metric of a set of cells and a metric's mean ± std over seeds.
 */
import { hashOf } from '../../harness/protocol/hash.ts';
import { detailFlags, provenanceOf, specFacts } from '../../harness/protocol/stored.ts';
import type { Threat } from '../../harness/protocol/threat.ts';
import type { MetricRow } from '../../results/schema.ts';
import type { CellWithMetrics } from '../../results/store.ts';
import { meanStd } from '../format.ts';
import type { MetricStat } from '../schemas.ts';

/** A short hash of any JSON value, independent of key order (a board row's config id). */
export const shortHash = (v: unknown) => hashOf(v, 8);

/** The method config a cell ran with: `spec.method.config`. */
export const configOf = (cell: { spec: unknown }) => specFacts(cell.spec).methodConfig;

/** Which config of its method a cell ran (config and tier protocol): a board row, a claim's arm. */
export const configHashOf = (cell: { spec: unknown }) =>
  shortHash({ config: configOf(cell), protocol: specFacts(cell.spec).protocol });

export const threatOf = (cell: { spec: unknown }): Threat | null => specFacts(cell.spec).threat;

export const costUnit = (cell: { provenance: unknown }): 'CPU' | 'GPU' =>
  provenanceOf(cell.provenance).backend === 'tensorflow-gpu' ? 'GPU' : 'CPU';

export function flagsOf(metrics: readonly MetricRow[]): string[] {
  const out = new Set<string>();
  for (const m of metrics) for (const x of detailFlags(m.details)) out.add(`${m.name}: ${String(x)}`);
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
  return cells.some((c) => c.status === 'completed' && c.metrics.some((m) => m.name === 'autoattack'))
    ? 'autoattack'
    : 'pgd';
}
