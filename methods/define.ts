/**
 * @module The method-entry contract. An entry supplies only a fine-tuned model: the harness owns the
 * data, the budget, the attacks and every metric (RobustBench's fixed `benchmark`, lm-eval's harness).
 *
 * @example
 * export default defineMethod({
 *   id: 'standard', title: 'Standard fine-tuning', paper: { title: '…', url: '…' },
 *   config: z.object({ lr: z.number().positive().default(0.01) }),
 *   fineTune: async (ctx) => { …; return ctx.model; },
 * });
 */
import type { z } from 'zod';
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier, ModelSpec } from '../harness/foundation/models/classifier.ts';
import type { DataSplit } from '../datasets/types.ts';
import type { Rng } from '../harness/foundation/rng.ts';
import type { SourceRecipe } from '../harness/protocol/schema.ts';
import type { TrainStateHooks } from '../harness/orchestration/train/train-state.ts';
import type { Norm } from '../harness/protocol/threat.ts';

export interface PaperRef {
  readonly title: string;
  readonly url: string;
  readonly venue?: string;
}

/** What the protocol grants a fine-tuning run: the same for every method on a task. */
export interface Budget {
  readonly epochs: number;
  readonly batchSize: number;
  /** Cap on training examples seen per epoch (CPU tiers), undefined = the whole split. */
  readonly maxTrainExamples?: number;
}

export interface ThreatModel {
  readonly norm: Norm;
  readonly eps: number;
}

/** The protocol's training attack (PGD, eval mode), for methods that train adversarially. */
export interface TrainAttackOptions {
  readonly steps: number;
  readonly stepSize: number;
  readonly eps: number;
  readonly norm: Norm;
}

export interface FineTuneContext<C> {
  /** A copy of the source model with a freshly initialised head for the target classes; the method may modify or replace it. */
  readonly model: Classifier;
  /** The frozen source model (eval mode). Methods must not modify it. */
  readonly source: Classifier;
  /** How the source was pre-trained (CARTL picks its defaults by whether FDM was used); absent in unit tests. */
  readonly sourceRecipe?: SourceRecipe;
  /** Builds a new model of any spec, seeded (for methods that re-make layers). */
  readonly buildModel: (spec: ModelSpec, seed: number) => Classifier;
  readonly train: DataSplit;
  readonly numClasses: number;
  readonly budget: Budget;
  readonly threat: ThreatModel;
  readonly trainAttack: TrainAttackOptions;
  /** The method's own options, parsed by its zod schema (defaults filled in). */
  readonly config: C;
  readonly rng: Rng;
  readonly log: (message: string) => void;
  /** Records a point of the training curve (loss, accuracy…) under `epoch`. */
  readonly recordCurve: (epoch: number, values: Record<string, number>) => void;
  /** Records a free-form artifact shown on the run page (RiFT criticality, chosen alpha…). */
  readonly recordArtifact: (name: string, value: unknown) => void;
  /** Generates adversarial examples with the protocol's training attack, model in eval mode. */
  readonly adversarial: (model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D) => tf.Tensor4D;
  /**
   * Resumable work between fits: `stage(name, compute)` runs once per cell and a resumed cell gets the
   * stored JSON result back (RiFT's criticality). A resumed cell does not run compute again, so whatever it
   * does besides returning its result (to the model, say) must be undone inside it or redone after it.
   */
  readonly stage: TrainStateHooks['stage'];
  /** State kept outside the model across epochs (RiFT's best epoch), saved with every training checkpoint. */
  readonly persist: TrainStateHooks['persist'];
}

export interface MethodEntry<S extends z.ZodType = z.ZodType> {
  /** Registry id, kebab-case, the same in the store, the site and the CLI. */
  readonly id: string;
  readonly title: string;
  readonly paper?: PaperRef;
  readonly description: string;
  /** Zod schema of the method's options, with defaults; unknown keys are rejected. */
  readonly config: S;
  /**
   * Fine-tunes and returns the model to evaluate (usually ctx.model). The harness disposes whatever
   * is returned, and ctx.model if a different model is returned.
   */
  fineTune(ctx: FineTuneContext<z.output<S>>): Promise<Classifier>;
}

export function defineMethod<S extends z.ZodType>(entry: MethodEntry<S>): MethodEntry<S> {
  if (!/^[a-z][a-z0-9-]*$/.test(entry.id)) {
    throw new Error(`defineMethod: id "${entry.id}" must be kebab-case (a-z, 0-9, -)`);
  }
  return entry;
}
