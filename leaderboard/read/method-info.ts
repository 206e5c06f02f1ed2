/**
 * @module What the site knows about a method: the row the harness wrote to the store's `methods` table (title,
 * paper, description, config schema and defaults). The site never loads method code. A method id the store has
 * cells for but no row (a store written before the table, an external entry) shows with its id as title.
 */
import { listMethodInfos } from '../../results/method-info.ts';
import type { Store } from '../../results/store.ts';

export interface MethodInfo {
  id: string;
  title: string;
  /** Whether the store describes the method (a run or a submission wrote its row). */
  registered: boolean;
  paper: { title: string; url: string; venue?: string } | null;
  description: string | null;
  /** JSON Schema (input side) of the entry's config, with defaults. */
  configSchema: Record<string, unknown> | null;
  /** The config an empty object parses to: the entry's defaults. */
  defaults: Record<string, unknown> | null;
}

const undescribed = (id: string): MethodInfo => ({
  id,
  title: id,
  registered: false,
  paper: null,
  description: null,
  configSchema: null,
  defaults: null,
});

/** Every described method of the store, by id. */
export function methodInfos(store: Store): Map<string, MethodInfo> {
  return new Map(
    listMethodInfos(store).map((r) => [
      r.id,
      {
        id: r.id,
        title: r.title,
        registered: true,
        paper: r.paper ?? null,
        description: r.description,
        configSchema: r.configSchema,
        defaults: r.defaults,
      },
    ]),
  );
}

/** A method's info from a `methodInfos` map; its id stands in for the title when the store does not describe it. */
export const infoOf = (infos: ReadonlyMap<string, MethodInfo>, id: string): MethodInfo =>
  infos.get(id) ?? undescribed(id);
