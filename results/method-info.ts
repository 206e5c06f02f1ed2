/**
 * @module The `methods` table: what the site shows about each method (title, paper, config schema and defaults),
 * written by the harness and read by the site. An entry of the registry is authoritative: a submission's
 * description of an id never replaces a registry row (nothing stored is lost to a bundle).
 */
import { eq, sql } from 'drizzle-orm';
import { methods, type MethodInfoRow } from './schema.ts';
import type { Store } from './store.ts';

export type NewMethodInfo = typeof methods.$inferInsert;

/** Inserts or updates method rows in one transaction; a `submission` row never replaces a `registry` one. */
export function putMethodInfos(store: Store, rows: readonly NewMethodInfo[]): void {
  if (!rows.length) return;
  store.transaction(() => {
    for (const row of rows) {
      const { id: _id, ...update } = row;
      const upsert = store.db.insert(methods).values(row);
      if (row.origin === 'registry') upsert.onConflictDoUpdate({ target: methods.id, set: update }).run();
      else {
        upsert
          .onConflictDoUpdate({ target: methods.id, set: update, setWhere: sql`${methods.origin} = 'submission'` })
          .run();
      }
    }
  });
}

/** Every method row, by id; none for a store written before the table existed. */
export function listMethodInfos(store: Store): MethodInfoRow[] {
  if (!store.hasTable('methods')) return [];
  return store.db.select().from(methods).orderBy(methods.id).all();
}

export function getMethodInfo(store: Store, id: string): MethodInfoRow | undefined {
  if (!store.hasTable('methods')) return undefined;
  return store.db.select().from(methods).where(eq(methods.id, id)).get();
}
