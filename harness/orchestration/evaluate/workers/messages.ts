/** @module What the evaluation pool (attack-pool.ts) and its workers (attack-worker.ts) send each other. */
import type { ApgdStage, StageOutcome } from '../../../../attacks/apgd-plan.ts';
import type { AutoAttackVersion, Component, ComponentOverrides } from '../../../../attacks/autoattack.ts';
import type { Norm } from '../../../../attacks/types.ts';
import type { DataSplit } from '../../../../datasets/types.ts';
import type { ModelSpec } from '../../../foundation/models/classifier.ts';
import type { AttackSpec } from '../../../protocol/attack-specs.ts';
import type { Threat } from '../../../protocol/schema.ts';
import type { PerturbationStats } from '../perturbation-check.ts';

export type { AttackSpec } from '../../../protocol/attack-specs.ts';

/** How a worker makes an attack: from the registry, or as one of AutoAttack's components. */
export type AttackRecipe =
  | ({ readonly kind: 'registry' } & AttackSpec)
  | {
      readonly kind: 'autoattack-component';
      readonly name: Component;
      readonly version: AutoAttackVersion;
      readonly norm: Norm;
      readonly eps: number;
      readonly overrides?: ComponentOverrides;
    };

export interface WeightsEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** The test points a worker scores, with the split's pipeline (the task's resize): toBatch there batches as here. */
export type TestHead = Pick<DataSplit, 'images' | 'labels' | 'n' | 'shape' | 'pipeline'>;

export type ToWorker =
  /**
   * The model and the test points of one evaluation; backend threads on the first init. `test` is left out when
   * the worker already holds the points with `testDigest` (cells of a suite share them: no copy, no garbage).
   */
  | { type: 'init'; spec: ModelSpec; weights: WeightsEntry[]; test?: TestHead; testDigest: string; threads: number }
  /** Score test points start..end-1 as batch `batchNo` of an evaluation (attackBatch). */
  | { type: 'score'; attack: AttackRecipe; threat: Threat; seed: number; batchNo: number; start: number; end: number }
  /** Attack the given test points with `seed` and return predictions and examples (AutoAttack's batches). */
  | { type: 'attack-points'; attack: AttackRecipe; points: number[]; seed: number }
  /** Clean logits of the given test points, with the points and labels (a sharded APGD batch's clean pass). */
  | { type: 'clean-rows'; points: number[] }
  /** Rows `take` of an APGD stage, which are the test points `points` (autoattack-shards.ts). */
  | { type: 'apgd-shard'; attack: AttackRecipe; points: number[]; stage: ApgdStage; take: number[] }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'scored'; clean: number; robust: number; robustIndices: number[]; stats: PerturbationStats }
  | { type: 'attacked'; pred: Int32Array; xAdv: Float32Array; notes?: Record<string, unknown> }
  | { type: 'clean-rows'; values: Float32Array; k: number; x: Float32Array; y: Int32Array }
  | ({ type: 'shard-done' } & StageOutcome)
  | { type: 'error'; message: string }
  | { type: 'closed' };
