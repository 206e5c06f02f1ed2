/**
 * @module A full garbage collection on request. Evaluation workers sit idle between requests, so V8, which
 * collects as a thread allocates, left each cell's garbage (its weights message, attack results, tfjs's tensor
 * objects) in place for many cells: with two workers a suite's RSS grew about 6 MiB a cell until a collection,
 * and the heap held no more live data after 12 cells than after 2 (measured with `--expose-gc`). The function
 * is fetched as jest's leak detector does it: the flag exposes `gc` to contexts made after it is set. V8's flags
 * are the process's, shared by every thread, so the flag stays on: turned back off by one evaluation worker
 * while another was between setting it and making its context, it failed that worker's cell with "gc is not
 * defined" (seen once in CI with two workers starting together).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
