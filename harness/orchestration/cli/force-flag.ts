/**
 * @module `--force [METHOD|CELL]` (run, nightly): re-measure cells whose stored record would be reused. Node's
 * parseArgs has no optional values, so a bare `--force` (last, or before another flag) is given the value `all`.
 */
import { UsageError } from './command.ts';
import type { Cell } from '../../protocol/cells.ts';
import { FORCE_ALL, parseForce } from '../run/rerun-policy.ts';

export const forceOption = { force: { type: 'string' } } as const;

export const FORCE_USAGE = `--force [ID]     measure again cells whose stored record would be reused: all of them, those of method ID,
                   or cell ID (the old records stay in the history)`;

/** `argv` with `all` after a bare `--force`. */
export function withForceValue(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, a] of argv.entries()) {
    out.push(a);
    const next = argv[i + 1];
    if (a === '--force' && (next === undefined || next.startsWith('-'))) out.push(FORCE_ALL);
  }
  return out;
}

/** Checks `--force`'s value against the suite before anything runs; a bad id is a usage error. */
export function checkForce(value: string | undefined, cells: readonly Cell[]): void {
  try {
    parseForce(value, cells);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
