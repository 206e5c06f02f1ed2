/**
 * Cell claims on a real SQLite file opened by two connections (as two processes would): one claim per cell,
 * a claim of a dead process or with an expired heartbeat is taken over, a cell recorded since planning is not
 * claimed again, and recording a cell drops its claim in the same transaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimCell,
  heartbeat,
  listClaims,
  recordedRunIds,
  releaseClaim,
  type ClaimOwner,
} from '../../results/claims.ts';
import { Store, type NewCell } from '../../results/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-claims-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
let a: Store;
let b: Store;
const A: ClaimOwner = { runId: 'run-a', host: 'node-1', pid: 101 };
const B: ClaimOwner = { runId: 'run-b', host: 'node-1', pid: 202 };
const C: ClaimOwner = { runId: 'run-c', host: 'node-2', pid: 303 };
const alive = (pid: number) => pid !== 0;

beforeEach(() => {
  const path = join(dir, `s${n++}.db`);
  a = Store.open(path);
  b = Store.open(path);
  for (const o of [A, B, C]) {
    a.startRun({
      id: o.runId,
      suite: 's',
      tier: 'smoke',
      command: 'rftbench run',
      startedAt: 1,
      status: 'running',
      commit: 'c',
      backend: 'cpu',
      environment: {},
    });
  }
});
afterEach(() => {
  a.close();
  b.close();
});

const cell = (id: string, runId: string): NewCell => ({
  id,
  suite: 's',
  tier: 'smoke',
  taskId: 't',
  methodId: 'm',
  seed: 0,
  status: 'completed',
  runId,
  spec: {},
  provenance: {},
  artifacts: {},
  startedAt: 1,
  finishedAt: 2,
  trainSeconds: 0,
  evalSeconds: 0,
});

describe('cell claims', () => {
  it('a claimed cell cannot be claimed by another live run; its owner may claim it again', () => {
    expect(claimCell(a, 'x', undefined, A, { alive })).toEqual({ claimed: true, tookOver: undefined });
    const other = claimCell(b, 'x', undefined, B, { alive });
    expect(other).toMatchObject({
      claimed: false,
      reason: 'claimed',
      holder: { runId: 'run-a', pid: 101, host: 'node-1' },
    });
    expect(claimCell(a, 'x', undefined, A, { alive }).claimed).toBe(true);
    expect(listClaims(b).map((c) => [c.cellId, c.runId])).toEqual([['x', 'run-a']]);
  });

  it('takes over the claim of a process that is gone from this host', () => {
    claimCell(a, 'x', undefined, A, { alive });
    const out = claimCell(b, 'x', undefined, B, { alive: (pid) => pid !== 101 });
    expect(out).toMatchObject({ claimed: true, tookOver: { runId: 'run-a', pid: 101 } });
    expect(listClaims(a).map((c) => c.runId)).toEqual(['run-b']);
  });

  it('another host is judged by its heartbeat: fresh holds, expired is taken over', () => {
    claimCell(b, 'x', undefined, C, { alive, now: 1_000_000 });
    expect(claimCell(a, 'x', undefined, A, { alive, now: 1_000_000 + 60_000, expiryMs: 120_000 }).claimed).toBe(false);
    heartbeat(b, 'run-c', 1_100_000);
    expect(claimCell(a, 'x', undefined, A, { alive, now: 1_100_000 + 119_000, expiryMs: 120_000 }).claimed).toBe(false);
    expect(claimCell(a, 'x', undefined, A, { alive, now: 1_100_000 + 121_000, expiryMs: 120_000 })).toMatchObject({
      claimed: true,
      tookOver: { runId: 'run-c' },
    });
  });

  it('a claim whose run has ended (interrupted, completed) no longer holds', () => {
    claimCell(a, 'x', undefined, A, { alive });
    a.finishRun('run-a', 'interrupted');
    expect(claimCell(b, 'x', undefined, B, { alive })).toMatchObject({ claimed: true, tookOver: { runId: 'run-a' } });
  });

  it('a cell recorded since the run planned is not claimed; recording drops the claim atomically', () => {
    const planned = recordedRunIds(b, ['x', 'y']);
    expect(planned.size).toBe(0);
    claimCell(a, 'x', undefined, A, { alive });
    a.transaction(() => {
      a.recordCell(cell('x', 'run-a'), []);
      releaseClaim(a, 'x', 'run-a');
    });
    expect(listClaims(b)).toEqual([]);
    expect(claimCell(b, 'x', planned.get('x'), B, { alive })).toEqual({ claimed: false, reason: 'recorded' });
    // A failing record write rolls the claim's release back with it.
    claimCell(a, 'y', undefined, A, { alive });
    expect(() =>
      a.transaction(() => {
        releaseClaim(a, 'y', 'run-a');
        a.recordCell(cell('y', 'no-such-run'), []); // foreign key: fails
      }),
    ).toThrow();
    expect(listClaims(b).map((c) => c.cellId)).toEqual(['y']);
    // The run that saw the record when it planned (a retry of a failed cell) may claim it.
    expect(claimCell(b, 'x', recordedRunIds(b, ['x']).get('x'), B, { alive }).claimed).toBe(true);
  });
});
