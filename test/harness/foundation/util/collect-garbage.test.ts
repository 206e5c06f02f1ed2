/**
 * collectGarbage (harness/foundation/util/collect-garbage.ts): a full collection on request, in the runner and in
 * every evaluation worker at once. V8's flags are the process's, so the function must never turn `--expose-gc`
 * back off: a thread doing so between another's setting it and making its context failed that thread.
 */
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../../../harness/foundation/util/collect-garbage.ts';

const WORKER = new URL('./collect-garbage-worker.mjs', import.meta.url);

describe('collectGarbage', () => {
  it('collects, and leaves gc exposed to contexts made after it (the flag is shared by every thread)', () => {
    expect(() => collectGarbage()).not.toThrow();
    expect(runInNewContext('typeof gc')).toBe('function');
  });

  it('works in many threads that start at the same moment', async () => {
    const start = new Int32Array(new SharedArrayBuffer(4));
    const workers = Array.from({ length: 6 }, () => new Worker(WORKER, { workerData: { start } }));
    const replies = workers.map(
      (w) =>
        new Promise<{ ok: boolean; message?: string }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        }),
    );
    // Let every worker reach its wait, then release them together.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    Atomics.store(start, 0, 1);
    Atomics.notify(start, 0);
    try {
      expect(await Promise.all(replies)).toEqual(workers.map(() => ({ ok: true })));
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
