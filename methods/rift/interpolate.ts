/**
 * @module RiFT's weight interpolation theta(alpha) = alpha * theta_ft + (1 - alpha) * theta_AT over the
 * whole state (BatchNorm buffers included), and the explicit rule that picks alpha.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '../../harness/foundation/nn/module.ts';

/**
 * New tensors for theta(alpha). The endpoints are copies, bit for bit; integer buffers
 * (num_batches_tracked) cannot be mixed and come from theta_AT below alpha = 1.
 */
export function interpolateState(at: StateDict, ft: StateDict, alpha: number): StateDict {
  const out: StateDict = {};
  for (const [key, a] of Object.entries(at)) {
    const f = ft[key];
    if (!f) throw new Error(`interpolateState: '${key}' is missing from the fine-tuned state`);
    if (alpha === 0 || (a.dtype !== 'float32' && alpha < 1)) out[key] = a.clone();
    else if (alpha === 1) out[key] = f.clone();
    else out[key] = tf.tidy(() => tf.add(tf.mul(f, alpha), tf.mul(a, 1 - alpha)));
  }
  return out;
}

export interface AlphaPoint {
  alpha: number;
  clean: number;
  robust: number;
}

export function selectionRule(tolerance: number): string {
  return `highest held-out clean accuracy among alphas whose held-out PGD accuracy >= that at alpha 0 minus ${tolerance}; ties go to the smaller alpha`;
}

/** The rule of `selectionRule`: alpha 0 always qualifies, so a choice always exists. */
export function selectAlpha(points: readonly AlphaPoint[], tolerance: number): AlphaPoint {
  const base = points.find((p) => p.alpha === 0);
  if (!base) throw new Error('selectAlpha: the grid must contain alpha 0 (the adversarially trained weights)');
  const ok = points.filter((p) => p.robust >= base.robust - tolerance - 1e-12);
  return ok.reduce((best, p) => (p.clean > best.clean || (p.clean === best.clean && p.alpha < best.alpha) ? p : best));
}
