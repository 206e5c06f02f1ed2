/**
 * @module PGD (Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018,
 * https://arxiv.org/abs/1706.06083), torchattacks-style. Distance measure: Linf or L2.
 *
 * Linf: start uniformly in the eps-box, ascend the loss by `alpha * sign(grad)`, clip to the box and
 * to [0,1]. L2: start uniformly in the eps-ball, ascend by `alpha * grad / ||grad||_2`, shrink back into
 * the ball and clip to [0,1]. The loss is summed over the batch, so each example gets its own gradient.
 * With restarts, each example keeps the first restart that fools the model, else the one with the
 * highest final loss; restart 0 is the single-restart run of the same seed, so restarts never help less.
 *
 * Shapes: x [N,H,W,C] in [0,1], y [N] int labels; xAdv like x, owned by the caller.
 *
 * @example
 * const attack = pgd({ eps: 8 / 255, alpha: 2 / 255, steps: 10 });
 * const { xAdv } = attack.run(logits, x, y, seed);
 */
import * as tf from '@tensorflow/tfjs-core';
import '../harness/foundation/tensor/setup.ts';
import type { Rng } from '../harness/foundation/rng.ts';
import { resolveLoss, type PerExampleLoss, type UntargetedLoss } from './losses.ts';
import type { Attack, AttackResult, LogitsFn, Norm } from './types.ts';
import {
  assertBatch,
  assertCount,
  assertNorm,
  assertPositive,
  attackRng,
  normalize,
  numClassesOf,
  projectToBall,
  replaceRows,
} from './utils.ts';

export { projectToBall } from './utils.ts';

export interface PgdOptions {
  /** @default 'Linf' */
  readonly norm: Norm;
  /** Radius of the threat model. @default 8/255 */
  readonly eps: number;
  /** Step size. @default 2/255 */
  readonly alpha: number;
  /** @default 10 */
  readonly steps: number;
  /** Uniform start in the eps-ball (else start at x). @default true */
  readonly randomStart: boolean;
  /** @default 1 */
  readonly restarts: number;
  /** Loss to ascend: cross-entropy, the CW margin (see cw.ts) or DLR (falls back to CE below 3 classes). @default 'ce' */
  readonly loss: UntargetedLoss;
  /** Confidence cap of the CW margin loss; only with loss 'cw'. @default 50 */
  readonly kappa: number;
}

export const PGD_DEFAULTS: PgdOptions = {
  norm: 'Linf',
  eps: 8 / 255,
  alpha: 2 / 255,
  steps: 10,
  randomStart: true,
  restarts: 1,
  loss: 'ce',
  kappa: 50,
};

/**
 * A uniform draw from the eps-ball around x, clipped to [0,1]. Linf: uniform in the box. L2: a
 * Gaussian direction with radius eps * U^(1/d), which is uniform in the ball (torchattacks uses
 * eps * U, which crowds the centre).
 */
export function uniformStart(x: tf.Tensor4D, norm: Norm, eps: number, rng: Rng): tf.Tensor4D {
  const s1 = rng.nextSeed();
  const s2 = rng.nextSeed();
  return tf.tidy(() => {
    if (norm === 'Linf')
      return tf.clipByValue(tf.add(x, tf.randomUniform(x.shape, -eps, eps, 'float32', s1)), 0, 1) as tf.Tensor4D;
    const d = x.shape[1] * x.shape[2] * x.shape[3];
    const direction = normalize(tf.randomNormal(x.shape, 0, 1, 'float32', s1) as tf.Tensor4D, 'L2');
    const radius = tf.mul(tf.pow(tf.randomUniform([x.shape[0], 1, 1, 1], 0, 1, 'float32', s2), 1 / d), eps);
    return tf.clipByValue(tf.add(x, tf.mul(direction, radius)), 0, 1) as tf.Tensor4D;
  });
}

/** d(sum of per-example losses)/d input at xAdv. */
export function inputGradient(
  model: LogitsFn,
  loss: PerExampleLoss,
  xAdv: tf.Tensor4D,
  y: tf.Tensor1D,
  targets?: tf.Tensor1D,
): tf.Tensor4D {
  return tf.tidy(
    () => tf.grad((z: tf.Tensor) => tf.sum(loss(model(z as tf.Tensor4D), y, targets)))(xAdv) as tf.Tensor4D,
  );
}

/** One ascent step, projected onto the eps-ball and [0,1]. */
function step(
  model: LogitsFn,
  loss: PerExampleLoss,
  x: tf.Tensor4D,
  xAdv: tf.Tensor4D,
  y: tf.Tensor1D,
  o: PgdOptions,
): tf.Tensor4D {
  return tf.tidy(() => {
    const grad = inputGradient(model, loss, xAdv, y);
    const direction = o.norm === 'Linf' ? tf.sign(grad) : normalize(grad, 'L2');
    return projectToBall(x, tf.add(xAdv, tf.mul(direction, o.alpha)) as tf.Tensor4D, o.norm, o.eps);
  });
}

/** Per-example fooled flags and loss values of a batch of adversarial examples. */
function score(
  model: LogitsFn,
  loss: PerExampleLoss,
  xAdv: tf.Tensor4D,
  y: tf.Tensor1D,
): { fooled: Uint8Array; loss: Float32Array } {
  const [pred, l] = tf.tidy(() => {
    const z = model(xAdv);
    return [tf.argMax(z, 1), loss(z, y)];
  });
  const labels = y.dataSync();
  const p = pred.dataSync();
  const fooled = Uint8Array.from(p, (v, i) => (v !== labels[i] ? 1 : 0));
  const values = Float32Array.from(l.dataSync());
  tf.dispose([pred, l]);
  return { fooled, loss: values };
}

/** One PGD run from a start point; returns the last iterate. */
export function pgdRun(
  model: LogitsFn,
  loss: PerExampleLoss,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  o: PgdOptions,
  rng: Rng,
): tf.Tensor4D {
  let xAdv = o.randomStart ? uniformStart(x, o.norm, o.eps, rng) : tf.clone(x);
  for (let s = 0; s < o.steps; s++) {
    const next = step(model, loss, x, xAdv, y, o);
    xAdv.dispose();
    xAdv = next;
  }
  return xAdv;
}

export function resolvePgdOptions(options: Partial<PgdOptions>, name = 'pgd'): PgdOptions {
  const o: PgdOptions = { ...PGD_DEFAULTS, ...options };
  assertNorm(name, o.norm);
  assertPositive(name, { eps: o.eps, alpha: o.alpha, kappa: o.kappa });
  assertCount(name, { steps: o.steps, restarts: o.restarts });
  if (!['ce', 'cw', 'dlr'].includes(o.loss))
    throw new Error(`${name}: loss must be 'ce', 'cw' or 'dlr', got '${o.loss}'`);
  return o;
}

/** PGD with the paper's defaults (Linf 8/255, step 2/255, 10 steps, random start, CE). */
export function pgd(options: Partial<PgdOptions> = {}): Attack {
  const o = resolvePgdOptions(options);
  return {
    id: `pgd-${o.norm.toLowerCase()}`,
    norm: o.norm,
    eps: o.eps,
    options: { ...o },
    run(model, x, y, seed): AttackResult {
      assertBatch('pgd', x, y);
      if (x.shape[0] === 0) return { xAdv: tf.clone(x) };
      const resolved = resolveLoss(o.loss, o.loss === 'dlr' ? numClassesOf(model, x) : 2, o.kappa);
      const notes = resolved.fallback
        ? { lossFallback: { from: resolved.fallback.requested, to: resolved.name, reason: resolved.fallback.reason } }
        : undefined;
      const rng = attackRng('pgd', seed);
      let best = pgdRun(model, resolved.fn, x, y, o, rng);
      if (o.restarts === 1) return notes ? { xAdv: best, notes } : { xAdv: best };
      let { fooled: bestFooled, loss: bestLoss } = score(model, resolved.fn, best, y);
      for (let r = 1; r < o.restarts; r++) {
        const xAdv = pgdRun(model, resolved.fn, x, y, o, rng);
        const { fooled, loss } = score(model, resolved.fn, xAdv, y);
        // Take this restart where it fools and the best does not, or neither fools and its loss is higher.
        const better = fooled.map((f, i) =>
          f > bestFooled[i] || (f === bestFooled[i] && !f && loss[i] > bestLoss[i]) ? 1 : 0,
        );
        best = replaceRows(better, xAdv, best);
        xAdv.dispose();
        bestFooled = bestFooled.map((f, i) => (better[i] ? fooled[i] : f));
        bestLoss = bestLoss.map((l, i) => (better[i] ? loss[i] : l));
      }
      return notes ? { xAdv: best, notes } : { xAdv: best };
    },
  };
}
