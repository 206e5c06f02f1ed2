/** @module Canonical JSON and its hash: cell ids, source ids, bundle checks and the site's config ids. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal specs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  });
}

/** The first `length` hex digits of the sha256 of the value's canonical JSON. */
export function hashOf(value: unknown, length = 16): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
}
