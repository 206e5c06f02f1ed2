/**
 * @module The per-example losses attacks maximise, by name, with AutoAttack's class-count rules made
 * explicit: DLR needs >= 3 classes and targeted DLR >= 4; with fewer we fall back to cross-entropy
 * (targeted: -CE to the target) and say so. The numerics (log-softmax CE, DLR with the sorted-logit
 * denominator) come from harness/foundation/nn/losses.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, dlrLoss, dlrTargetedLoss, margin } from '../harness/foundation/nn/losses.ts';

/** Untargeted losses; 'cw' is the CW margin max_{i!=y} z_i - z_y, capped at kappa. */
export type UntargetedLoss = 'ce' | 'dlr' | 'cw';
/** Targeted losses: 'dlr-targeted' is AutoAttack's; 'ce-targeted' is -CE(z, t). */
export type TargetedLoss = 'dlr-targeted' | 'ce-targeted';
export type AttackLossName = UntargetedLoss | TargetedLoss;

/** Per-example loss to maximise, [N]. `targets` only for targeted losses. */
export type PerExampleLoss = (logits: tf.Tensor2D, y: tf.Tensor1D, targets?: tf.Tensor1D) => tf.Tensor1D;

export interface ResolvedLoss {
  /** The loss actually used. */
  readonly name: AttackLossName;
  readonly fn: PerExampleLoss;
  /** Set when `name` differs from the one asked for. */
  readonly fallback?: { readonly requested: AttackLossName; readonly reason: string };
}

function lossFn(name: AttackLossName, kappa: number): PerExampleLoss {
  switch (name) {
    case 'ce':
      return (z, y) => crossEntropy(z, y, 'none');
    case 'dlr':
      return (z, y) => dlrLoss(z, y, 'none') as tf.Tensor1D;
    case 'cw':
      // -clamp(z_y - max_other, min = -kappa): stop pushing once the margin is kappa past the boundary.
      return (z, y) => tf.neg(tf.maximum(margin(z, y), -kappa)) as tf.Tensor1D;
    case 'dlr-targeted':
      return (z, y, t) => dlrTargetedLoss(z, y, requireTargets(t), 'none') as tf.Tensor1D;
    case 'ce-targeted':
      return (z, _y, t) => tf.neg(crossEntropy(z, requireTargets(t), 'none')) as tf.Tensor1D;
  }
}

function requireTargets(t: tf.Tensor1D | undefined): tf.Tensor1D {
  if (!t) throw new Error('targeted loss called without target classes');
  return t;
}

/**
 * The loss to use for `requested` on a model with `numClasses` outputs. DLR with fewer than 3 classes
 * falls back to CE; targeted DLR with fewer than 4 to targeted CE (the record keeps `fallback`).
 */
export function resolveLoss(requested: AttackLossName, numClasses: number, kappa = Infinity): ResolvedLoss {
  if (numClasses < 2) throw new Error(`attack loss: the model must have at least 2 classes, got ${numClasses}`);
  let name = requested;
  let reason: string | undefined;
  if (requested === 'dlr' && numClasses < 3) {
    name = 'ce';
    reason = `DLR needs at least 3 classes, the model has ${numClasses}: using cross-entropy`;
  } else if (requested === 'dlr-targeted' && numClasses < 4) {
    name = 'ce-targeted';
    reason = `targeted DLR needs at least 4 classes, the model has ${numClasses}: using targeted cross-entropy`;
  }
  const fn = lossFn(name, kappa);
  return reason ? { name, fn, fallback: { requested, reason } } : { name, fn };
}

/** Per-example margin z_y - max_{i!=y} z_i (negative = misclassified), Square's and FAB's criterion. */
export { margin };
