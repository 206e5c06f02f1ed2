/**
 * @module AutoAttack's sanity checks (fra31/auto-attack `checks.py`) as flags, never failures: a flag
 * says the evaluation may be unreliable and why. Probability outputs instead of logits, zero input
 * gradients, randomised (non-deterministic) forwards, too few classes for DLR / the target count, and
 * Square (black-box) beating the white-box attacks. The reference's "dynamic defence" check traces
 * PyTorch autograd calls inside the forward and has no tfjs counterpart; it is not run.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../harness/foundation/tensor/setup.ts';
import type { LogitsFn } from './types.ts';

export type CheckId =
  | 'probability-output'
  | 'zero-gradients'
  | 'randomized'
  | 'too-few-classes'
  | 'square-beats-white-box';

export interface CheckFlag {
  readonly id: CheckId;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * Randomised defence: `n` forwards of the same batch differ (max L2 distance between L2-normalised
 * logit rows above `alpha`) or give different numbers of correct predictions. AutoAttack's advice is
 * version 'rand' (EOT).
 */
export function checkRandomized(
  model: LogitsFn,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  { n = 5, alpha = 1e-4 } = {},
): CheckFlag | undefined {
  const outputs: Float32Array[] = [];
  const correct: number[] = [];
  let k = 0;
  for (let r = 0; r < n; r++) {
    const [z, c] = tf.tidy(() => {
      const logits = model(x);
      const unit = tf.div(logits, tf.add(tf.norm(logits, 'euclidean', 1, true), 1e-10)) as tf.Tensor2D;
      return [unit, tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(y, 'int32')), 'int32'))];
    });
    k = (z as tf.Tensor2D).shape[1];
    outputs.push(Float32Array.from(z.dataSync()));
    correct.push(c.dataSync()[0]);
    tf.dispose([z, c]);
  }
  let maxDiff = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      for (let i = 0; i < outputs[a].length / k; i++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += (outputs[a][i * k + j] - outputs[b][i * k + j]) ** 2;
        maxDiff = Math.max(maxDiff, Math.sqrt(s));
      }
    }
  }
  const accChanges = correct.some((c) => c !== correct[n - 1]);
  if (!accChanges && !(maxDiff > alpha)) return undefined;
  return {
    id: 'randomized',
    message: `the model looks randomised (${n} forwards of the same batch differ by up to ${maxDiff.toExponential(2)}${accChanges ? ', and the number of correct predictions changes' : ''}); evaluate it with version 'rand' (EOT)`,
    details: { forwards: n, maxDiff, correctCounts: correct },
  };
}

/**
 * Probability outputs: every value in [0,1] (within alpha) and every row summing to 1. Returns the
 * number of classes as well, as the reference does.
 */
export function checkRangeOutput(
  model: LogitsFn,
  x: tf.Tensor4D,
  { alpha = 1e-5 } = {},
): { numClasses: number; flag?: CheckFlag } {
  const [mx, mn, maxRowError, k] = tf.tidy(() => {
    const z = model(x);
    return [
      tf.max(z).dataSync()[0],
      tf.min(z).dataSync()[0],
      tf.max(tf.abs(tf.sub(tf.sum(z, 1), 1))).dataSync()[0],
      z.shape[1],
    ];
  });
  if (mx < 1 + alpha && mn > -alpha && maxRowError < alpha) {
    return {
      numClasses: k,
      flag: {
        id: 'probability-output',
        message:
          'the model output looks like a probability distribution (values in [0,1], rows summing to 1): attacks need logits',
        details: { max: mx, min: mn, maxRowSumError: maxRowError },
      },
    };
  }
  return { numClasses: k };
}

/** Flag for `count` points (of `total`) whose input gradient is exactly zero. */
export function zeroGradientFlag(count: number, total: number, where: string): CheckFlag | undefined {
  if (count === 0) return undefined;
  return {
    id: 'zero-gradients',
    message: `${count} of ${total} points have an exactly zero input gradient (${where}): gradient-based attacks are unreliable there`,
    details: { points: count, total, where },
  };
}

/**
 * Too few classes: DLR needs 3, targeted DLR 4, and a targeted attack at most classes - 1 targets.
 * The attacks fall back / cap themselves; this flag puts it in the record.
 */
export function checkNumClasses(
  numClasses: number,
  attacks: readonly string[],
  apgdTargets: number,
  fabTargets: number,
): CheckFlag | undefined {
  const problems: string[] = [];
  if (attacks.includes('apgd-dlr') || attacks.includes('apgd-t')) {
    if (numClasses <= 2)
      problems.push(`with only ${numClasses} classes the DLR loss cannot be used (cross-entropy is used instead)`);
    else if (numClasses === 3 && attacks.includes('apgd-t'))
      problems.push(
        'with only 3 classes the targeted DLR loss cannot be used (targeted cross-entropy is used instead)',
      );
  }
  if (attacks.includes('apgd-t') && apgdTargets + 1 > numClasses)
    problems.push(`APGD-T asks for ${apgdTargets} target classes, only ${numClasses - 1} exist (capped)`);
  if (attacks.includes('fab-t') && fabTargets + 1 > numClasses)
    problems.push(`FAB-T asks for ${fabTargets} target classes, only ${numClasses - 1} exist (capped)`);
  if (!problems.length) return undefined;
  return { id: 'too-few-classes', message: problems.join('; '), details: { numClasses, apgdTargets, fabTargets } };
}

/**
 * Square beating the white-box attacks: robust accuracy after Square (run after them) is more than
 * `alpha` below the lowest accuracy before it. `robustAccuracy` maps 'clean' and each attack run, in order.
 */
export function checkSquareSuccess(
  robustAccuracy: Readonly<Record<string, number>>,
  alpha = 0.002,
): CheckFlag | undefined {
  const keys = Object.keys(robustAccuracy);
  if (!keys.includes('square') || keys.length <= 2) return undefined;
  const others = keys.filter((k) => k !== 'square').map((k) => robustAccuracy[k]);
  const before = Math.min(...others);
  const after = robustAccuracy.square;
  if (!(after < before - alpha)) return undefined;
  return {
    id: 'square-beats-white-box',
    message: `Square (black-box) lowered the robust accuracy by ${((before - after) * 100).toFixed(2)} points after the white-box attacks: gradients may be masked; the evaluation may be unreliable (consider more Square queries/restarts or an adaptive attack)`,
    details: { before, after },
  };
}
