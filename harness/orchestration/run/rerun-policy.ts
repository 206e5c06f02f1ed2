/**
 * @module Which cells of a suite a run computes, and why. A stored number is reused only when it was made by the
 * same code (`code-identity.ts`): a cell whose code hash differs, or whose record has none, is measured again and
 * its old record stays in the history. `--force` re-measures every cell, one method's or one cell's; a nightly
 * (`night`) re-measures every cell unless it was already measured that night with the same code (a resumed night).
 */
import { latestCodeHashes, measuredOn } from '../../../results/history.ts';
import type { Store } from '../../../results/store.ts';
import type { Cell } from '../../protocol/cells.ts';
import type { CodeIdentity } from './code-identity.ts';

/** `--force` alone, `--force METHOD` or `--force CELL`. */
export type Force = { readonly kind: 'all' } | { readonly kind: 'method' | 'cell'; readonly id: string };

/** The value `--force` takes when given without one. */
export const FORCE_ALL = 'all';

/** Parses `--force`'s value against the suite's cells; an id that is neither a method nor a cell of it is an error. */
export function parseForce(value: string | undefined, cells: readonly Cell[]): Force | undefined {
  if (value === undefined) return undefined;
  if (value === FORCE_ALL) return { kind: 'all' };
  if (cells.some((c) => c.id === value)) return { kind: 'cell', id: value };
  if (cells.some((c) => c.spec.method.id === value)) return { kind: 'method', id: value };
  const methods = [...new Set(cells.map((c) => c.spec.method.id))].join(', ');
  throw new Error(
    `--force '${value}': not a method id or cell id of this suite (methods: ${methods}; cell ids: rftbench run --dry-run)`,
  );
}

const forced = (f: Force | undefined, c: Cell) =>
  !!f &&
  (f.kind === 'all' || (f.kind === 'cell' && f.id === c.id) || (f.kind === 'method' && f.id === c.spec.method.id));

export interface PlanOptions {
  retryFailed?: boolean;
  force?: Force;
  /** A nightly: measure each cell once this night (YYYY-MM-DD). */
  night?: string;
}

export interface Plan {
  /** Cells to compute, with why (`new`, `code changed`, …). */
  readonly todo: Map<string, string>;
  /** Of those, the ones whose completed record is replaced on purpose (kept as history). */
  readonly replace: Set<string>;
}

export function planCells(
  store: Store,
  cells: readonly Cell[],
  codes: ReadonlyMap<string, CodeIdentity>,
  opts: PlanOptions,
): Plan {
  const ids = cells.map((c) => c.id);
  const statuses = store.cellStatuses(ids);
  const selfReported = store.selfReportedCells(ids);
  const stored = latestCodeHashes(store, ids);
  const tonight = opts.night ? measuredOn(store, opts.night, ids) : undefined;
  const todo = new Map<string, string>();
  const replace = new Set<string>();
  for (const c of cells) {
    const status = statuses.get(c.id);
    const code = codes.get(c.spec.method.id);
    // An entry without a file has no method hash: nothing proves a stored number came from its code.
    const current = code?.method ? code.hash : undefined;
    const why = ((): string | undefined => {
      if (status === undefined) return 'new';
      if (selfReported.has(c.id)) return 'submitted (self-reported): measure it';
      if (forced(opts.force, c)) return 'forced';
      if (tonight) {
        const done = (tonight.get(c.id) ?? []).filter((m) => current !== undefined && m.codeHash === current);
        if (!done.length) return `not yet measured on ${opts.night} with this code`;
        return done.at(-1)!.status === 'failed' && opts.retryFailed ? 'failed: retry' : undefined;
      }
      if (current === undefined || stored.get(c.id) !== current) {
        return `code changed (stored ${stored.get(c.id) ?? 'unknown'}, now ${current ?? 'unknown'})`;
      }
      return status === 'failed' && opts.retryFailed ? 'failed: retry' : undefined;
    })();
    if (!why) continue;
    todo.set(c.id, why);
    if (status === 'completed' && !selfReported.has(c.id)) replace.add(c.id);
  }
  return { todo, replace };
}
