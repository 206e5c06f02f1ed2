/**
 * @module Sharding a suite across machines. Shard I of N takes the cells at positions I, I+N, I+2N … of the
 * suite's expansion order, so shards are balanced and any two shards are disjoint; every shard of a
 * suite can be computed without coordination. The shard comes from `--shard I/N`, else from a Slurm
 * array job (`SLURM_ARRAY_TASK_ID` - `SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT`), else from a
 * Kubernetes Indexed Job (`JOB_COMPLETION_INDEX` of `RFTBENCH_SHARD_COUNT`).
 */
import type { Cell } from '../../protocol/cells.ts';

export interface Shard {
  readonly index: number;
  readonly count: number;
  /** Where the shard came from, for the run's record. */
  readonly from: '--shard' | 'slurm' | 'kubernetes';
}

function integer(text: string, what: string, min: number): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`${what} must be a non-negative integer, got '${text}'`);
  const v = Number(text);
  if (v < min) throw new Error(`${what} must be at least ${min}, got ${v}`);
  return v;
}

function checked(index: number, count: number, from: Shard['from'], what: string): Shard {
  if (index >= count)
    throw new Error(`${what}: shard index ${index} is out of range for ${count} shards (0..${count - 1})`);
  return { index, count, from };
}

/** The shard this process runs, or undefined for the whole suite. The flag wins over the environment. */
export function resolveShard(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (!m) throw new Error(`--shard must look like I/N (e.g. 0/4), got '${flag}'`);
    return checked(Number(m[1]), integer(m[2], '--shard N', 1), '--shard', '--shard');
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    if (env.SLURM_ARRAY_TASK_COUNT === undefined)
      throw new Error('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not');
    const id = integer(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID', 0);
    const min =
      env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : integer(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN', 0);
    const count = integer(env.SLURM_ARRAY_TASK_COUNT, 'SLURM_ARRAY_TASK_COUNT', 1);
    if (id < min) throw new Error(`SLURM_ARRAY_TASK_ID ${id} is below SLURM_ARRAY_TASK_MIN ${min}`);
    return checked(id - min, count, 'slurm', 'SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN');
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (env.RFTBENCH_SHARD_COUNT === undefined)
      throw new Error(
        'JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but RFTBENCH_SHARD_COUNT, the number of shards, is not',
      );
    const count = integer(env.RFTBENCH_SHARD_COUNT, 'RFTBENCH_SHARD_COUNT', 1);
    return checked(
      integer(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX', 0),
      count,
      'kubernetes',
      'JOB_COMPLETION_INDEX',
    );
  }
  return undefined;
}

/** The cells of one shard, in suite order. */
export function shardCells(cells: readonly Cell[], shard: Shard | undefined): Cell[] {
  if (!shard) return [...cells];
  return cells.filter((_, i) => i % shard.count === shard.index);
}

export function describeShard(shard: Shard | undefined): string {
  return shard ? `shard ${shard.index}/${shard.count} (from ${shard.from})` : 'all cells';
}
