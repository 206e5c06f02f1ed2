/**
 * @module Clean and robust accuracy of one attack on the first n test points, in batches: every adversarial
 * example is checked by the harness, a point is robust only when correct both clean and under attack
 * (RobustBench's count), and each batch is attacked with its own seed derived from the evaluation seed
 * (protocol/seeds.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attack, LogitsFn } from '../../../attacks/types.ts';
import { predict } from '../../../attacks/utils.ts';
import { batchIndices, toBatch } from '../../../datasets/batches.ts';
import type { DataSplit } from '../../../datasets/types.ts';
import type { Threat } from '../../protocol/schema.ts';
import { batchSeed } from '../../protocol/seeds.ts';
import { checkPerturbation, emptyStats, type PerturbationStats } from './perturbation-check.ts';

export interface AttackAccuracy {
  readonly n: number;
  readonly clean: number;
  readonly robust: number;
  /** 1 where point i is robust, for comparing attacks on exactly the same points. */
  readonly robustFlags: Uint8Array;
  readonly stats: PerturbationStats;
}

export interface BatchOutcome {
  clean: number;
  robust: number;
  /** Test-point indices of this batch that are robust. */
  robustIndices: number[];
}

/**
 * Attacks batch number `batchNo` (test points `idx`) and checks its examples into `stats`. The in-process
 * loop below and the worker pool (workers/) both score batches with this, so they agree point for point.
 */
export function attackBatch(
  model: LogitsFn,
  test: DataSplit,
  idx: ArrayLike<number>,
  batchNo: number,
  opts: { attack: Attack; threat: Threat; seed: number },
  stats: PerturbationStats,
): BatchOutcome {
  const { x, y } = toBatch(test, idx);
  const out: BatchOutcome = { clean: 0, robust: 0, robustIndices: [] };
  try {
    const labels = y.dataSync();
    const cleanPred = predict(model, x);
    const { xAdv } = opts.attack.run(model, x, y, batchSeed(opts.seed, batchNo));
    try {
      checkPerturbation(x, xAdv, opts.threat, stats);
      const advPred = predict(model, xAdv);
      for (let i = 0; i < labels.length; i++) {
        if (cleanPred[i] !== labels[i]) continue;
        out.clean++;
        if (advPred[i] === labels[i]) {
          out.robust++;
          out.robustIndices.push(idx[i]);
        }
      }
    } finally {
      xAdv.dispose();
    }
  } finally {
    tf.dispose([x, y]);
  }
  return out;
}

export async function attackAccuracy(
  model: LogitsFn,
  test: DataSplit,
  opts: {
    n: number;
    batchSize: number;
    attack: Attack;
    threat: Threat;
    seed: number;
    onBatch?: (done: number, total: number) => void;
  },
): Promise<AttackAccuracy> {
  const n = Math.min(opts.n, test.n);
  const robustFlags = new Uint8Array(n);
  const stats = emptyStats();
  let clean = 0;
  let robust = 0;
  let done = 0;
  let batchNo = 0;
  for (const idx of batchIndices(n, { batchSize: opts.batchSize })) {
    const b = attackBatch(model, test, idx, batchNo, opts, stats);
    clean += b.clean;
    robust += b.robust;
    for (const i of b.robustIndices) robustFlags[i] = 1;
    done += idx.length;
    batchNo++;
    opts.onBatch?.(done, n);
    await new Promise((r) => setImmediate(r));
  }
  return { n, clean, robust, robustFlags, stats };
}
