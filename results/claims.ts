/**
 * @module Cell claims: how two `rftbench run` processes share one store without computing a cell twice.
 * A process computes a cell only after claiming it; the claim is decided in a BEGIN IMMEDIATE transaction
 * (SQLite's write lock taken before the read), so of two processes asking at once exactly one gets it.
 * The claim row leaves with the cell's record (same transaction), or with its run when the run ends.
 */
import { and, eq, inArray } from 'drizzle-orm';
import * as schema from './schema.ts';
import type { ClaimRow } from './schema.ts';
import type { Store } from './store.ts';

export interface ClaimOwner {
  runId: string;
  host: string;
  pid: number;
}

export interface ClaimOptions {
  /** A claim of another host not refreshed for this long is stale (default 10 minutes). */
  expiryMs?: number;
  /** Whether a pid of this host is alive (claims of this host are judged by their process). */
  alive: (pid: number) => boolean;
  now?: number;
}

export const DEFAULT_CLAIM_EXPIRY_MS = 10 * 60_000;

export type ClaimOutcome =
  | { claimed: true /** The stale claim taken over, if any. */; tookOver?: ClaimRow }
  /** Another process recorded the cell since this run planned its work. */
  | { claimed: false; reason: 'recorded' }
  /** Another live process is computing it. */
  | { claimed: false; reason: 'claimed'; holder: ClaimRow };

/** The run id of each given cell's stored record: what a run saw when it planned, to notice later writes. */
export function recordedRunIds(store: Store, ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    const { cells } = schema;
    const rows = store.db
      .select({ id: cells.id, runId: cells.runId })
      .from(cells)
      .where(inArray(cells.id, ids.slice(i, i + 500)))
      .all();
    for (const r of rows) out.set(r.id, r.runId);
  }
  return out;
}

/** Why a claim no longer protects its cell, or undefined while it does. */
export function staleReason(
  claim: ClaimRow,
  runStatus: string | undefined,
  here: string,
  opts: ClaimOptions,
): string | undefined {
  if (runStatus !== 'running') return `its run ${claim.runId} is ${runStatus ?? 'gone'}`;
  if (claim.host === here) return opts.alive(claim.pid) ? undefined : `its process ${claim.pid} on ${here} is gone`;
  const age = (opts.now ?? Date.now()) - claim.heartbeatAt;
  const expiry = opts.expiryMs ?? DEFAULT_CLAIM_EXPIRY_MS;
  return age > expiry ? `no heartbeat from ${claim.host} for ${Math.round(age / 1000)} s` : undefined;
}

/**
 * Claims `cellId` for `owner` unless its record changed since planning (`plannedRunId`: the run id of the
 * record seen then, undefined when there was none) or another live process holds it.
 */
export function claimCell(
  store: Store,
  cellId: string,
  plannedRunId: string | undefined,
  owner: ClaimOwner,
  opts: ClaimOptions,
): ClaimOutcome {
  return store.immediateTransaction((): ClaimOutcome => {
    const { cells, claims, runs } = schema;
    const record = store.db.select({ runId: cells.runId }).from(cells).where(eq(cells.id, cellId)).get();
    if (record?.runId !== plannedRunId) return { claimed: false, reason: 'recorded' };
    const held = store.db.select().from(claims).where(eq(claims.cellId, cellId)).get();
    let tookOver: ClaimRow | undefined;
    if (held && held.runId !== owner.runId) {
      const run = store.db.select({ status: runs.status }).from(runs).where(eq(runs.id, held.runId)).get();
      if (!staleReason(held, run?.status, owner.host, opts)) return { claimed: false, reason: 'claimed', holder: held };
      tookOver = held;
    }
    const now = opts.now ?? Date.now();
    const row = { cellId, ...owner, claimedAt: now, heartbeatAt: now };
    store.db.insert(claims).values(row).onConflictDoUpdate({ target: claims.cellId, set: row }).run();
    return { claimed: true, tookOver };
  });
}

/** Drops `owner`'s claim on a cell (call it in the transaction that records the cell). */
export function releaseClaim(store: Store, cellId: string, runId: string): void {
  store.db
    .delete(schema.claims)
    .where(and(eq(schema.claims.cellId, cellId), eq(schema.claims.runId, runId)))
    .run();
}

/** Drops every claim of a run (it ended, or was found dead). */
export function releaseRunClaims(store: Store, runId: string): void {
  store.db.delete(schema.claims).where(eq(schema.claims.runId, runId)).run();
}

/** Marks the run's claims as still being worked on. */
export function heartbeat(store: Store, runId: string, now = Date.now()): void {
  store.transaction(() =>
    store.db.update(schema.claims).set({ heartbeatAt: now }).where(eq(schema.claims.runId, runId)).run(),
  );
}

export function listClaims(store: Store): ClaimRow[] {
  return store.db.select().from(schema.claims).all();
}
