/**
 * @module Cells: a suite expands into (task, method, seed) cells. A cell's id is the hash of its full
 * defining spec, so changing any part of the protocol makes new ids and never mixes results.
 */
import { hashOf } from './hash.ts';
import type { MethodRun, Suite, Task, Tier } from './schema.ts';

export { canonicalJson, hashOf } from './hash.ts';

/** Bumped whenever the harness changes what a cell's numbers mean (evaluation code, data pipeline). */
export const PROTOCOL_VERSION = 1;

export interface CellSpec {
  readonly protocol: number;
  readonly tier: Tier;
  readonly task: Task;
  readonly method: MethodRun;
  readonly seed: number;
}

export interface Cell {
  readonly id: string;
  readonly suite: string;
  readonly spec: CellSpec;
}

export function expandSuite(suite: Suite): Cell[] {
  const cells: Cell[] = [];
  for (const { methods: only, ...task } of suite.tasks) {
    for (const method of suite.methods) {
      if (only && !only.includes(method.id)) continue;
      for (const seed of suite.seeds) {
        const spec: CellSpec = { protocol: PROTOCOL_VERSION, tier: suite.tier, task, method, seed };
        cells.push({ id: hashOf(spec), suite: suite.id, spec });
      }
    }
  }
  return cells;
}
