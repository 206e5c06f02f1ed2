/**
 * @module What a metric plug-in's runner gets and gives: the model and test points of one evaluation, what
 * the evaluation asks for (a tier's `evaluation`, or part of one), the shared worker pool, and the per-point
 * outcomes of the runners before it; it returns its stored metrics.
 */
import type { LogitsFn } from '../../../attacks/types.ts';
import type { DataSplit, LoadOptions } from '../../../datasets/types.ts';
import type { Classifier } from '../../foundation/models/classifier.ts';
import type { AttackSpec } from '../../protocol/attack-specs.ts';
import type { Threat, Tier } from '../../protocol/schema.ts';
import type { StateStoreOrFile } from './autoattack-state-file.ts';
import type { MetricValue } from './metric.ts';
import type { EvaluationPool } from './workers/attack-pool.ts';

/** A tier's evaluation, where PGD may be left out and one other attack asked for instead. */
export type EvaluationConfig = Omit<Tier['evaluation'], 'pgd'> & {
  readonly pgd?: Tier['evaluation']['pgd'];
  /** One attack by its registry id, scored like PGD under its own name (`rftbench eval --attack`). */
  readonly attack?: AttackSpec;
};

export interface MetricContext {
  readonly model: Classifier;
  readonly logits: LogitsFn;
  readonly test: DataSplit;
  readonly threat: Threat;
  readonly evaluation: EvaluationConfig;
  /** The evaluation's seed; each runner derives its own from it (protocol/seeds.ts). */
  readonly seed: number;
  /** AutoAttack's seed as given (`rftbench eval --seed`) instead of derived, and its resumable state. */
  readonly autoattack?: { readonly seed?: number; readonly state?: StateStoreOrFile };
  /** The task's -C set, for the corruption metric. */
  readonly corruptions?: { readonly dataset: string; readonly load?: LoadOptions };
  readonly pool?: EvaluationPool;
  readonly log?: (line: string) => void;
  readonly onBatch?: (done: number, total: number) => void;
  /** Per-point outcome (1 = robust) of each attack run so far, by metric name: AutoAttack compares with PGD's. */
  readonly robustFlags: Map<string, Uint8Array>;
}

export interface MetricRunner {
  /** Whether this evaluation asks for the metric. */
  applies(ctx: MetricContext): boolean;
  /** Test points and batches it hands the worker pool, so the pool is sized for it. */
  poolNeed?(ctx: MetricContext): { readonly points: number; readonly batches: number };
  run(ctx: MetricContext): Promise<MetricValue[]>;
}
