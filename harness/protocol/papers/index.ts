/**
 * @module The seed papers' protocols as data (published numbers, settings, claims) and the check that ties
 * them to this harness: every method, dataset, metric and catalog id they name must exist here.
 */
import { PUBLISHED_RESULTS } from './published.ts';
import { PROTOCOL_SETTINGS } from './settings.ts';
import { CLAIMS } from './claims.ts';

export { CitationSchema, formatCitation, PAPER_IDS, PAPERS, REPOS, type Citation, type PaperId } from './citation.ts';
export {
  MISSING_TABLES,
  PAPER_METRICS,
  PROTOCOLS,
  PUBLISHED_RESULTS,
  PublishedResultSchema,
  type PaperMetric,
  type ProtocolId,
  type PublishedResult,
} from './published.ts';
export {
  PROTOCOL_SETTINGS,
  ProtocolSettingsSchema,
  SettingSchema,
  type ProtocolSettings,
  type Setting,
} from './settings.ts';
export {
  CLAIMS,
  ClaimSchema,
  ComparisonSchema,
  judgeClaim,
  judgeComparison,
  type Claim,
  type ClaimJudgement,
  type Comparison,
  type ComparisonJudgement,
  type Verdict,
} from './claims.ts';

/** What the harness knows, passed in so the check stays pure (the test gathers it from the registries). */
export interface KnownIds {
  readonly methodIds: readonly string[];
  readonly datasetIds: readonly string[];
  readonly metricNames: readonly string[];
  readonly catalogIds: readonly string[];
}

/** An id-shaped target (`cifar10`) must be one of ours; printed names (`CUB-200`) are kept as labels. */
const ID_SHAPED = /^[a-z0-9][a-z0-9-]*$/;

/** Every inconsistency, one line each naming the entry and the field; empty when the data fits the harness. */
export function checkConsistency(
  known: KnownIds,
  data = { published: PUBLISHED_RESULTS, settings: PROTOCOL_SETTINGS, claims: CLAIMS },
): string[] {
  const methods = new Set(known.methodIds);
  const datasets = new Set(known.datasetIds);
  const metrics = new Set(known.metricNames);
  const catalog = new Set(known.catalogIds);
  const problems: string[] = [];
  const seen = new Map<string, number>();
  data.published.forEach((r, i) => {
    const at = `published[${i}] (${r.table}, ${r.target}, ${r.method}, ${r.metric})`;
    if (r.methodId !== null && !methods.has(r.methodId)) {
      problems.push(`${at}: methodId '${r.methodId}' is not in methods/registry.ts`);
    }
    if (r.datasetId !== null && !datasets.has(r.datasetId)) {
      problems.push(`${at}: datasetId '${r.datasetId}' is not in datasets/registry.ts`);
    }
    if (!metrics.has(r.metric)) problems.push(`${at}: metric '${r.metric}' is not a metric the harness stores`);
    if (r.sourceCatalogId !== null && !catalog.has(r.sourceCatalogId)) {
      problems.push(`${at}: sourceCatalogId '${r.sourceCatalogId}' is not in harness/protocol/catalog.ts`);
    }
    if (!(r.value >= 0 && r.value <= 100)) problems.push(`${at}: value ${r.value} is not a percentage in 0..100`);
    const key = JSON.stringify([r.table, r.source, r.target, r.method, r.config ?? {}, r.metric]);
    if (seen.has(key)) problems.push(`${at}: duplicates published[${seen.get(key)}]`);
    else seen.set(key, i);
  });
  for (const p of data.settings) {
    for (const id of p.methodIds) {
      if (!methods.has(id)) problems.push(`settings '${p.protocol}': methodIds '${id}' is not in methods/registry.ts`);
    }
    const targets = Array.isArray(p.targets.value) ? p.targets.value : [p.targets.value];
    for (const t of targets) {
      if (typeof t === 'string' && ID_SHAPED.test(t) && !datasets.has(t)) {
        problems.push(`settings '${p.protocol}': target '${t}' is not in datasets/registry.ts`);
      }
    }
    if (p.sourceCatalogId !== null && !catalog.has(p.sourceCatalogId)) {
      problems.push(
        `settings '${p.protocol}': sourceCatalogId '${p.sourceCatalogId}' is not in harness/protocol/catalog.ts`,
      );
    }
  }
  for (const c of data.claims) {
    c.comparisons.forEach((x, j) => {
      const at = `claim '${c.id}' comparisons[${j}]`;
      for (const id of [x.better, x.than])
        if (!methods.has(id)) problems.push(`${at}: method '${id}' is not in methods/registry.ts`);
      if (!metrics.has(x.metric)) problems.push(`${at}: metric '${x.metric}' is not a metric the harness stores`);
    });
  }
  return problems;
}
