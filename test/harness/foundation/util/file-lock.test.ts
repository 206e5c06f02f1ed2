/**
 * The lock file between processes: a live holder makes others wait, a holder that died on this host or that
 * nobody refreshed for too long (another host) is taken over.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireFileLock } from '../../../../harness/foundation/util/file-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that existed and is gone: a finished child's. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('acquireFileLock', () => {
  it('creates the lock (and its folder) with pid and host; release removes it', async () => {
    const path = join(dir, 'a', 'x.lock');
    const lock = await acquireFileLock(path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ pid: process.pid, host: hostname() });
    expect(lock.waited).toBe(false);
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('waits for a live holder, and goes on once it releases', async () => {
    const path = join(dir, 'live.lock');
    writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname() }));
    const waits: string[] = [];
    setTimeout(() => rmSync(path), 150);
    const lock = await acquireFileLock(path, { pollMs: 20, onWait: (h) => waits.push(h) });
    expect(lock.waited).toBe(true);
    expect(waits).toEqual([`pid ${process.pid} on ${hostname()}`]);
    lock.release();
  });

  it('takes over the lock of a process that died on this host', async () => {
    const path = join(dir, 'dead.lock');
    writeFileSync(path, JSON.stringify({ pid: deadPid(), host: hostname() }));
    const lock = await acquireFileLock(path, { pollMs: 20 });
    expect(lock.waited).toBe(false);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('judges another host by the lock file age: fresh waits, stale is taken over', async () => {
    const path = join(dir, 'remote.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: 'another-node' }));
    const first = acquireFileLock(path, { pollMs: 20, staleMs: 60_000 });
    const early = await Promise.race([first, new Promise((r) => setTimeout(() => r('waiting'), 200))]);
    expect(early).toBe('waiting');
    const old = new Date(Date.now() - 120_000);
    utimesSync(path, old, old);
    const lock = await first; // still polling: it takes the lock over once the file is stale
    expect(JSON.parse(readFileSync(path, 'utf8')).host).toBe(hostname());
    lock.release();
  });
});
