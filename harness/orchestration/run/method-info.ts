/**
 * @module What the site shows about a method entry, derived from the entry here (where its code is loaded) and
 * written to the store, so the site never imports method code: title, paper, description, the config's JSON
 * Schema (zod's `toJSONSchema`, input side: what a suite may write) and the defaults an empty config parses to.
 */
import { z } from 'zod';
import type { MethodEntry } from '../../../methods/define.ts';
import { putMethodInfos, type NewMethodInfo } from '../../../results/method-info.ts';
import type { Store } from '../../../results/store.ts';

/** The part of a method row that comes from the entry itself. */
export type MethodDescription = Pick<
  NewMethodInfo,
  'id' | 'title' | 'description' | 'paper' | 'configSchema' | 'defaults'
>;

export function describeMethod(entry: MethodEntry): MethodDescription {
  let configSchema: Record<string, unknown> | null = null;
  try {
    configSchema = z.toJSONSchema(entry.config, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    // A schema zod cannot express (a custom refinement type): the page shows the defaults alone.
    configSchema = null;
  }
  const parsed = entry.config.safeParse({});
  const defaults =
    parsed.success && parsed.data && typeof parsed.data === 'object' ? (parsed.data as Record<string, unknown>) : null;
  const p = entry.paper;
  const paper = p ? { title: p.title, url: p.url, ...(p.venue ? { venue: p.venue } : {}) } : null;
  return { id: entry.id, title: entry.title, description: entry.description, paper, configSchema, defaults };
}

/**
 * Writes the entries' descriptions to the store (a run does this when it starts, for the methods of its suite).
 * `submitted` ids are entries outside the registry: they never replace a registry entry's row.
 */
export function recordMethodInfos(
  store: Store,
  entries: Iterable<MethodEntry>,
  submitted: ReadonlySet<string> = new Set(),
  now = Date.now(),
): void {
  const origin = (id: string) => (submitted.has(id) ? ('submission' as const) : ('registry' as const));
  putMethodInfos(
    store,
    [...entries].map((e) => ({ ...describeMethod(e), origin: origin(e.id), updatedAt: now })),
  );
}
