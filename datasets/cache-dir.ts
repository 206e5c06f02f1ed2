/** @module Where datasets and cached source models live: `--data`, `$RFTBENCH_DATA`, or `~/.cache/rftbench`. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LoadOptions } from './types.ts';

export function dataRoot(opts: Pick<LoadOptions, 'dataDir'> = {}): string {
  return resolve(opts.dataDir ?? process.env.RFTBENCH_DATA ?? join(homedir(), '.cache', 'rftbench'));
}
