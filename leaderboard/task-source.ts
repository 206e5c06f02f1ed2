/**
 * @module What a task page says about the task's source: read from its latest cell's spec (the source as it
 * ran, a catalog id already expanded) and provenance (the source id), with the source's own measured
 * accuracy from the store's sources table and, for catalog checkpoints, the publisher's numbers.
 */
import { findCatalogEntry } from '../harness/protocol/catalog.ts';
import { specFacts } from '../harness/protocol/stored.ts';
import type { CellWithMetrics, Store } from '../results/store.ts';
import type { TaskSourceInfo } from './schemas.ts';

type Json = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function taskSourceOf(cells: readonly CellWithMetrics[], store: Store): TaskSourceInfo | null {
  const latest = [...cells].sort((a, b) => b.finishedAt - a.finishedAt)[0];
  const source = latest ? specFacts(latest.spec).source : null;
  if (!latest || !source || typeof source !== 'object') return null;
  const id = str((latest.provenance as Json).sourceId);
  const row = id ? store.getSource(id) : undefined;
  const measured = { clean: row?.cleanAcc ?? null, robust: row?.robustAcc ?? null };
  const checkpoint = source.checkpoint as Json | undefined;
  if (checkpoint) {
    const catalog = str(source.catalog);
    return {
      kind: 'external',
      id,
      arch: String(source.arch),
      origin: str(checkpoint.url) ?? str(checkpoint.path) ?? '?',
      catalog,
      citation: str(source.citation),
      sha256: str((latest.provenance as Json & { source?: Json }).source?.sha256) ?? row?.sha256 ?? null,
      ...measured,
      reported: (catalog && findCatalogEntry(catalog)?.reported) || null,
    };
  }
  return {
    kind: 'recipe',
    id,
    arch: String(source.arch),
    origin: `${String(source.recipe)} on ${String(source.dataset)}`,
    catalog: null,
    citation: null,
    sha256: row?.sha256 ?? null,
    ...measured,
    reported: null,
  };
}
