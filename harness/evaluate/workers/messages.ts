/** @module What the evaluation pool (attack-pool.ts) and its workers (attack-worker.ts) send each other. */
import type { DataSplit } from '../../../datasets/types.ts';
import type { ModelSpec } from '../../models/classifier.ts';
import type { Threat } from '../../protocol/schema.ts';
import type { PerturbationStats } from '../perturbation-check.ts';

/** An attack as the registry builds it: every worker makes its own from this. */
export interface AttackSpec {
  readonly id: string;
  readonly options: Record<string, unknown>;
}

export interface WeightsEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export interface InitMessage {
  type: 'init';
  spec: ModelSpec;
  weights: WeightsEntry[];
  test: Pick<DataSplit, 'images' | 'labels' | 'n' | 'shape'>;
  attack: AttackSpec;
  threat: Threat;
  seed: number;
  /** Backend threads per worker. */
  threads: number;
}

export interface BatchMessage {
  type: 'batch';
  batchNo: number;
  /** Test points start..end-1 (evaluation batches are consecutive). */
  start: number;
  end: number;
}

export type ToWorker = InitMessage | BatchMessage | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'done'; batchNo: number; clean: number; robust: number; robustIndices: number[]; stats: PerturbationStats }
  | { type: 'error'; message: string }
  | { type: 'closed' };
