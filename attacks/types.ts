/**
 * @module The attack contract: an attack sees the model as a function from images in [0,1] (NHWC) to
 * logits, and returns adversarial images. It never reads the store and never evaluates itself; the
 * harness checks every example it returns (inside [0,1], within eps).
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Images in [0,1], NHWC, to logits [N, classes]. Must be synchronous (it runs inside tf.tidy). */
export type LogitsFn = (x: tf.Tensor4D) => tf.Tensor2D;

/** The threat models' distance measures (the protocol's ThreatSchema takes these). */
export const NORMS = ['Linf', 'L2'] as const;
export type Norm = (typeof NORMS)[number];

export interface AttackResult {
  /** Adversarial images, same shape as the input; owned by the caller. */
  readonly xAdv: tf.Tensor4D;
  /** Free-form facts the record should keep (fallbacks taken, queries used). */
  readonly notes?: Record<string, unknown>;
}

/** A configured attack: deterministic given its seed and inputs. */
export interface Attack {
  readonly id: string;
  readonly norm: Norm;
  readonly eps: number;
  /** Options as resolved (defaults filled in), for the record. */
  readonly options: Readonly<Record<string, unknown>>;
  run(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D, seed: number): AttackResult;
}
