/**
 * @module The runner's side of cell claims (results/claims.ts): claims each cell before computing it, keeps the
 * run's claims fresh with a heartbeat while it works, and records a cell and drops its claim together.
 */
import { hostname } from 'node:os';
import {
  claimCell,
  DEFAULT_CLAIM_EXPIRY_MS,
  heartbeat,
  recordedRunIds,
  releaseClaim,
  releaseRunClaims,
} from '../../../results/claims.ts';
import type { Store } from '../../../results/store.ts';
import { processAlive } from '../../foundation/util/process-alive.ts';

export interface CellClaimsOptions {
  store: Store;
  runId: string;
  /** The cells this run plans to compute. */
  cellIds: readonly string[];
  log: (line: string) => void;
  expiryMs?: number;
}

export class CellClaims {
  private readonly planned: Map<string, string>;
  private readonly timer: NodeJS.Timeout;
  private readonly owner: { runId: string; host: string; pid: number };

  constructor(private readonly opts: CellClaimsOptions) {
    this.owner = { runId: opts.runId, host: hostname(), pid: process.pid };
    this.planned = recordedRunIds(opts.store, opts.cellIds);
    const expiry = opts.expiryMs ?? DEFAULT_CLAIM_EXPIRY_MS;
    // Several beats per expiry; a beat that fails (a busy or full disk) is retried at the next one.
    this.timer = setInterval(
      () => {
        try {
          heartbeat(opts.store, opts.runId);
        } catch (err) {
          opts.log(`claims heartbeat failed: ${(err as Error).message}`);
        }
      },
      Math.max(1000, expiry / 5),
    );
    this.timer.unref();
  }

  /** Claims a cell; returns why not when another process recorded it or is computing it. */
  take(cellId: string): { ok: true } | { ok: false; why: string } {
    const { store, expiryMs, log } = this.opts;
    const out = claimCell(store, cellId, this.planned.get(cellId), this.owner, { alive: processAlive, expiryMs });
    if (out.claimed) {
      const old = out.tookOver;
      if (old) log(`took over the stale claim of run ${old.runId} (pid ${old.pid} on ${old.host})`);
      return { ok: true };
    }
    if (out.reason === 'recorded') return { ok: false, why: 'recorded by another run meanwhile' };
    const h = out.holder;
    return { ok: false, why: `being run by run ${h.runId} (pid ${h.pid} on ${h.host})` };
  }

  /** Runs `write` (the cell's record) and drops the claim in one transaction. */
  record(cellId: string, write: () => void): void {
    this.opts.store.transaction(() => {
      write();
      releaseClaim(this.opts.store, cellId, this.opts.runId);
    });
  }

  /** Stops the heartbeat and drops what this run still holds (call when the run ends, however it ends). */
  close(): void {
    clearInterval(this.timer);
    try {
      releaseRunClaims(this.opts.store, this.opts.runId);
    } catch (err) {
      // Called on the way out of a failure too: never hide that error. Left claims go stale with their run.
      this.opts.log(`could not drop this run's claims: ${(err as Error).message}`);
    }
  }
}
