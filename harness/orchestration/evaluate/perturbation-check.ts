/**
 * @module The harness's own check of every adversarial example, whatever attack made it: inside [0,1],
 * within eps in the threat model's norm, no NaN. Attacks are never trusted to check themselves.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Threat } from '../../protocol/schema.ts';

export interface PerturbationStats {
  /** Largest ||x_adv - x|| over the examples checked, in the threat model's norm. */
  maxPerturbation: number;
  /** Examples with a NaN anywhere. */
  nanCount: number;
  /** Examples with a pixel outside [0,1] (beyond float tolerance). */
  outOfBoxCount: number;
  /** Examples whose perturbation exceeds eps (beyond float tolerance). */
  overEpsCount: number;
  checked: number;
}

/** Float32 rounding of x + delta can overshoot eps by an ulp or so; anything larger is a real violation. */
const TOLERANCE = 1e-5;

export function emptyStats(): PerturbationStats {
  return { maxPerturbation: 0, nanCount: 0, outOfBoxCount: 0, overEpsCount: 0, checked: 0 };
}

/** Checks one batch and folds it into `into`. */
export function checkPerturbation(
  x: tf.Tensor4D,
  xAdv: tf.Tensor4D,
  threat: Threat,
  into: PerturbationStats,
): PerturbationStats {
  if (!tf.util.arraysEqual(x.shape, xAdv.shape)) {
    throw new Error(
      `perturbation check: adversarial batch has shape [${xAdv.shape}] but the clean batch has [${x.shape}]`,
    );
  }
  const [norms, nan, outOfBox] = tf.tidy(() => {
    const n = x.shape[0];
    const delta = tf.reshape(tf.sub(xAdv, x), [n, -1]);
    const norm = threat.norm === 'Linf' ? tf.max(tf.abs(delta), 1) : tf.sqrt(tf.sum(tf.square(delta), 1));
    const flat = tf.reshape(xAdv, [n, -1]);
    const isNan = tf.any(tf.isNaN(flat), 1);
    const out = tf.any(tf.logicalOr(tf.less(flat, -TOLERANCE), tf.greater(flat, 1 + TOLERANCE)), 1);
    return [norm, isNan, out];
  });
  const normValues = norms.dataSync();
  const nanValues = nan.dataSync();
  const outValues = outOfBox.dataSync();
  tf.dispose([norms, nan, outOfBox]);
  for (let i = 0; i < normValues.length; i++) {
    if (nanValues[i]) into.nanCount++;
    else {
      into.maxPerturbation = Math.max(into.maxPerturbation, normValues[i]);
      if (normValues[i] > threat.eps * (1 + TOLERANCE) + TOLERANCE) into.overEpsCount++;
    }
    if (outValues[i]) into.outOfBoxCount++;
  }
  into.checked += normValues.length;
  return into;
}

/** Sanity flags a leaderboard shows next to the number; a violated threat model invalidates it. */
export function perturbationFlags(s: PerturbationStats): string[] {
  const flags: string[] = [];
  if (s.nanCount) flags.push(`nan-adversarial:${s.nanCount}`);
  if (s.outOfBoxCount) flags.push(`outside-[0,1]:${s.outOfBoxCount}`);
  if (s.overEpsCount) flags.push(`over-eps:${s.overEpsCount}`);
  return flags;
}

/** Folds the stats of another set of examples (a worker's batch) into `into`. */
export function mergeStats(into: PerturbationStats, from: PerturbationStats): PerturbationStats {
  into.maxPerturbation = Math.max(into.maxPerturbation, from.maxPerturbation);
  into.nanCount += from.nanCount;
  into.outOfBoxCount += from.outOfBoxCount;
  into.overEpsCount += from.overEpsCount;
  into.checked += from.checked;
  return into;
}
