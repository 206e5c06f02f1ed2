/**
 * @module PGD (Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks", 2018).
 * Linf: sign-gradient ascent on the cross-entropy, projected onto the eps-ball and [0,1]. L2:
 * normalised-gradient steps and projection onto the L2 ball. Uniform random start; with restarts,
 * each example keeps the first adversarial example that fools the model, else the highest-loss one.
 *
 * @example
 * const attack = pgd({ eps: 8 / 255, alpha: 2 / 255, steps: 20 });
 * const { xAdv } = attack.run(logits, x, y, seed);
 */
import * as tf from '@tensorflow/tfjs-core';
import '../harness/tensor/setup.ts';
import { crossEntropyPerExample } from '../harness/nn/losses.ts';
import type { Attack, LogitsFn, Norm } from './types.ts';

export interface PgdOptions {
  readonly norm: Norm;
  /** Radius of the threat model. @default 8/255 */
  readonly eps: number;
  /** Step size. @default 2/255 */
  readonly alpha: number;
  /** @default 10 */
  readonly steps: number;
  /** @default true */
  readonly randomStart: boolean;
  /** @default 1 */
  readonly restarts: number;
}

export const PGD_DEFAULTS: PgdOptions = { norm: 'Linf', eps: 8 / 255, alpha: 2 / 255, steps: 10, randomStart: true, restarts: 1 };

/** Per-example L2 norm of a batch, shaped [N,1,1,1] for broadcasting. */
function l2Norm(t: tf.Tensor4D): tf.Tensor4D {
  return tf.sqrt(tf.add(tf.sum(tf.square(t), [1, 2, 3], true), 1e-24)) as tf.Tensor4D;
}

export function projectToBall(x: tf.Tensor4D, xAdv: tf.Tensor4D, norm: Norm, eps: number): tf.Tensor4D {
  return tf.tidy(() => {
    let delta = tf.sub(xAdv, x);
    if (norm === 'Linf') delta = tf.clipByValue(delta, -eps, eps);
    else delta = tf.mul(delta, tf.minimum(1, tf.div(eps, l2Norm(delta as tf.Tensor4D))));
    return tf.clipByValue(tf.add(x, delta), 0, 1) as tf.Tensor4D;
  });
}

function randomStart(x: tf.Tensor4D, norm: Norm, eps: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    if (norm === 'Linf') return tf.clipByValue(tf.add(x, tf.randomUniform(x.shape, -eps, eps, 'float32', seed)), 0, 1) as tf.Tensor4D;
    // Uniform direction, radius eps * U^(1/d) would be exact; a Gaussian direction scaled into the ball suffices for a start.
    const g = tf.randomNormal(x.shape, 0, 1, 'float32', seed) as tf.Tensor4D;
    const r = tf.randomUniform([x.shape[0], 1, 1, 1], 0, 1, 'float32', seed + 1);
    return tf.clipByValue(tf.add(x, tf.mul(tf.div(g, l2Norm(g)), tf.mul(r, eps))), 0, 1) as tf.Tensor4D;
  });
}

/** One ascent step on the summed per-example loss, projected. */
function step(model: LogitsFn, x: tf.Tensor4D, xAdv: tf.Tensor4D, y: tf.Tensor1D, o: PgdOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const grad = tf.grad((z: tf.Tensor) => crossEntropyPerExample(model(z as tf.Tensor4D), y, 'sum'))(xAdv) as tf.Tensor4D;
    const direction = o.norm === 'Linf' ? tf.sign(grad) : tf.div(grad, l2Norm(grad));
    return projectToBall(x, tf.add(xAdv, tf.mul(direction, o.alpha)) as tf.Tensor4D, o.norm, o.eps);
  });
}

/** Per-example [fooled (1/0), loss] of a batch. */
function score(model: LogitsFn, xAdv: tf.Tensor4D, y: tf.Tensor1D): [tf.Tensor1D, tf.Tensor1D] {
  return tf.tidy(() => {
    const logits = model(xAdv);
    const fooled = tf.cast(tf.notEqual(tf.argMax(logits, 1), tf.cast(y, 'int32')), 'float32') as tf.Tensor1D;
    return [fooled, crossEntropyPerExample(logits, y, 'none') as tf.Tensor1D];
  });
}

export function pgd(options: Partial<PgdOptions> = {}): Attack {
  const o: PgdOptions = { ...PGD_DEFAULTS, ...options };
  if (!(o.eps > 0) || !(o.alpha > 0) || !Number.isInteger(o.steps) || o.steps < 1 || !Number.isInteger(o.restarts) || o.restarts < 1) {
    throw new Error(`pgd: eps and alpha must be positive, steps and restarts positive integers (got ${JSON.stringify(o)})`);
  }
  return {
    id: `pgd-${o.norm.toLowerCase()}`,
    norm: o.norm,
    eps: o.eps,
    options: { ...o },
    run(model, x, y, seed) {
      let best: tf.Tensor4D | undefined;
      let bestFooled: tf.Tensor1D | undefined;
      let bestLoss: tf.Tensor1D | undefined;
      for (let r = 0; r < o.restarts; r++) {
        let xAdv = o.randomStart ? randomStart(x, o.norm, o.eps, seed + 7919 * r) : tf.clone(x);
        for (let s = 0; s < o.steps; s++) {
          const next = step(model, x, xAdv, y, o);
          xAdv.dispose();
          xAdv = next;
        }
        if (o.restarts === 1) return { xAdv };
        const [fooled, loss] = score(model, xAdv, y);
        if (!best) {
          [best, bestFooled, bestLoss] = [xAdv, fooled, loss];
          continue;
        }
        // Replace where this restart fools and the best did not, or neither fools and the loss is higher.
        const [nb, nf, nl] = tf.tidy(() => {
          const better = tf.logicalOr(
            tf.greater(fooled, bestFooled!),
            tf.logicalAnd(tf.equal(fooled, bestFooled!), tf.greater(loss, bestLoss!)),
          );
          return [
            // where() broadcasts numpy-style: shape the per-example choice as [N,1,1,1].
            tf.where(tf.reshape(better, [-1, 1, 1, 1]), xAdv, best!) as tf.Tensor4D,
            tf.where(better, fooled, bestFooled!) as tf.Tensor1D,
            tf.where(better, loss, bestLoss!) as tf.Tensor1D,
          ];
        });
        tf.dispose([best, bestFooled, bestLoss, xAdv, fooled, loss]);
        [best, bestFooled, bestLoss] = [nb, nf, nl];
      }
      tf.dispose([bestFooled!, bestLoss!]);
      return { xAdv: best! };
    },
  };
}
