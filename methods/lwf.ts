/**
 * @module `lwf`: robust transfer by feature distillation (Shafahi et al., "Adversarially robust transfer
 * learning", ICLR 2020): CE(f(x), y) + lambda_d * mean_i ||phi(x_i; theta) - phi(x_i; theta_source)||_2 on
 * the penultimate features, keeping the fine-tuned features close to the robust source's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { crossEntropy } from '../harness/foundation/nn/losses.ts';
import { defineMethod } from './define.ts';
import { sgdConfig } from './common/sgd-config.ts';
import { fineTuneWith } from './common/fine-tune.ts';

/**
 * Mean over the batch of the L2 distance between two feature batches. The epsilon keeps the gradient
 * finite at distance 0, which is exactly where fine-tuning starts (the body is the source's).
 */
export function featureDistance(features: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(features, target)), 1), 1e-12))) as tf.Scalar;
}

export default defineMethod({
  id: 'lwf',
  title: 'LwF-style feature distillation',
  paper: {
    title: 'Adversarially robust transfer learning',
    url: 'https://arxiv.org/abs/1905.08232',
    venue: 'ICLR 2020',
  },
  description:
    'All layers fine-tuned with clean cross-entropy plus lambda times the L2 distance of the penultimate features to the frozen source model.',
  config: z.strictObject({
    ...sgdConfig,
    lambda: z.number().min(0).default(0.01).describe('weight of the feature distance (paper: 0.1, 0.01, 0.005, 0.001)'),
  }),
  fineTune: (ctx) =>
    fineTuneWith(ctx, {
      loss: (model, { x, y }) => {
        // One forward for both terms: features feed the head and the distance.
        const features = model.features(x);
        const target = tf.tidy(() => ctx.source.features(x));
        const ce = crossEntropy(model.head().forward(features) as tf.Tensor2D, y);
        return tf.add(ce, tf.mul(ctx.config.lambda, featureDistance(features, target))) as tf.Scalar;
      },
    }),
});
