/**
 * @module The gradient of eval-mode BatchNorm (tf.batchNorm, kernel FusedBatchNorm), replacing tfjs's.
 * tfjs's computes x − mean and dy·scale eagerly for every backward pass, then dx as dy · tile(1/σ) · scale:
 * five full-size passes and a Tile per layer, when a PGD step needs only dx. Here every input's gradient is
 * computed only when asked for, and dx = dy · scale/σ is one eval-mode BatchNorm of dy (mean 0, offset 0),
 * which our wasm FusedBatchNorm kernel runs as a single per-channel multiply. Same formulas as tfjs's; the
 * rounding of dx differs in the last bit (scale/σ is formed once per channel).
 */
import * as tf from '@tensorflow/tfjs-core';

type Saved = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];

/** dx of eval-mode BatchNorm for per-channel statistics on NHWC g: one BatchNorm of g with mean 0 and offset 0. */
export function batchNormInputGrad(
  g: tf.Tensor4D,
  mean: tf.Tensor,
  variance: tf.Tensor,
  scale: tf.Tensor | undefined,
  varianceEpsilon: number,
): tf.Tensor4D {
  return tf.batchNorm(
    g,
    tf.zerosLike(mean),
    variance,
    undefined,
    scale ?? tf.onesLike(variance),
    varianceEpsilon,
  ) as tf.Tensor4D;
}

export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const g = dy as tf.Tensor;
    const [x, mean, variance, scale] = saved as Saved;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const perChannel = mean.rank === 1;
    // Axes summed over for a per-channel statistic (all but the last); none when the statistic is full-size.
    const axes = perChannel ? x.shape.slice(0, -1).map((_, i) => i) : [];
    const reduce = (t: tf.Tensor) => tf.reshape(axes.length ? tf.sum(t, axes) : t, mean.shape);
    const invStd = () => tf.rsqrt(tf.add(variance, varianceEpsilon));
    const scaleOrOne = () => scale ?? tf.onesLike(variance);
    return {
      x: () =>
        perChannel && x.rank === 4
          ? batchNormInputGrad(g as tf.Tensor4D, mean, variance, scale, varianceEpsilon)
          : tf.mul(tf.mul(g, invStd()), scaleOrOne()),
      mean: () => reduce(tf.mul(tf.neg(tf.mul(invStd(), scaleOrOne())), g)),
      variance: () => {
        const s = invStd();
        const minusHalfCube = tf.mul(tf.mul(tf.mul(s, s), s), -0.5);
        return reduce(tf.mul(tf.mul(minusHalfCube, tf.sub(x, mean)), tf.mul(g, scaleOrOne())));
      },
      scale: () => reduce(tf.mul(g, tf.mul(tf.sub(x, mean), invStd()))),
      offset: () => reduce(g),
    };
  },
};

/** Puts ours in place of tfjs's (the registry is global: every backend gets it). */
export function registerFusedBatchNormGrad(): void {
  tf.registerGradient(fusedBatchNormGradConfig);
}
