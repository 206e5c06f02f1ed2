/**
 * @module An exclusive lock file between processes (two runs on one data folder must not both append to
 * one partial download). The lock holds its owner's pid and host; a lock whose owner died on this host,
 * or that nobody refreshed for `staleMs` (an owner on another host that died), is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { processAlive } from './process-alive.ts';

export interface FileLock {
  /** Whether acquiring had to wait for another holder. */
  waited: boolean;
  /** Marks the lock as still in use (long holders call this now and then). */
  refresh(): void;
  release(): void;
}

export interface LockOptions {
  staleMs?: number;
  pollMs?: number;
  /** Called once when the lock is held by someone else, with a description of the holder. */
  onWait?: (holder: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function holderOf(path: string): { pid?: number; host?: string; mtimeMs: number } | undefined {
  try {
    const mtimeMs = statSync(path).mtimeMs;
    try {
      return { ...(JSON.parse(readFileSync(path, 'utf8')) as { pid?: number; host?: string }), mtimeMs };
    } catch {
      return { mtimeMs }; // being written right now, or garbage: judged by its age
    }
  } catch {
    return undefined; // released meanwhile
  }
}

export async function acquireFileLock(
  path: string,
  { staleMs = 10 * 60_000, pollMs = 200, onWait }: LockOptions = {},
): Promise<FileLock> {
  let waited = false;
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
      } finally {
        closeSync(fd);
      }
      return {
        waited,
        refresh: () => {
          const t = new Date();
          try {
            utimesSync(path, t, t);
          } catch {
            // taken over after all; the holder finds out when its file changes under it
          }
        },
        release: () => rmSync(path, { force: true }),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new Error(`cannot create lock ${path}: ${(err as Error).message}`);
    }
    const holder = holderOf(path);
    if (!holder) continue;
    const dead = holder.host === hostname() && typeof holder.pid === 'number' && !processAlive(holder.pid);
    if (dead || Date.now() - holder.mtimeMs > staleMs) {
      rmSync(path, { force: true });
      continue;
    }
    if (!waited) onWait?.(`pid ${holder.pid ?? '?'} on ${holder.host ?? '?'}`);
    waited = true;
    await sleep(pollMs);
  }
}
