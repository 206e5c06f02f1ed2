/** @module Whether a process exists on this host: used to tell a dead owner (of a run, a claim, a lock) from a live one. */

/** Signal 0 probes without signalling; EPERM means the process exists but belongs to another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
