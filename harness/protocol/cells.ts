/**
 * @module Cells: a suite expands into (task, method, seed) cells. A cell's id is the hash of its full
 * defining spec, so changing any part of the protocol makes new ids and never mixes results.
 */
import { createHash } from 'node:crypto';
import type { MethodRun, Suite, Task, Tier } from './schema.ts';

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

/** JSON with object keys sorted at every depth, so equal specs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  });
}

export function hashOf(value: unknown, length = 16): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
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
