/**
 * @module Losses on logits, numerically stable (log-softmax), with PyTorch's reductions.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Reduction = 'mean' | 'sum' | 'none';

function reduce(perExample: tf.Tensor1D, reduction: Reduction): tf.Tensor {
  if (reduction === 'none') return perExample;
  return reduction === 'sum' ? tf.sum(perExample) : tf.mean(perExample);
}

/** Cross-entropy of logits [N, K] against int labels [N]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction: 'mean' | 'sum' = 'mean'): tf.Scalar {
  return crossEntropyPerExample(logits, labels, reduction) as tf.Scalar;
}

export function crossEntropyPerExample(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction: Reduction = 'none'): tf.Tensor {
  const logp = tf.logSoftmax(logits);
  const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1])), 1) as tf.Tensor1D;
  return reduce(tf.neg(picked) as tf.Tensor1D, reduction);
}

/**
 * KL(p_target || p_input) with PyTorch's KLDivLoss(log_softmax(input), softmax(target)) per example,
 * summed over classes; TRADES uses reduction 'sum' divided by the batch size.
 */
export function klDivergence(inputLogits: tf.Tensor2D, targetLogits: tf.Tensor2D, reduction: Reduction = 'none'): tf.Tensor {
  const logq = tf.logSoftmax(inputLogits);
  const logp = tf.logSoftmax(targetLogits);
  const kl = tf.sum(tf.mul(tf.exp(logp), tf.sub(logp, logq)), 1) as tf.Tensor1D;
  return reduce(kl, reduction);
}

/** z_y - max_{i != y} z_i per example (CW margin; negative when misclassified). */
export function margin(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const mask = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
  const zy = tf.sum(tf.mul(logits, mask), 1);
  const others = tf.max(tf.sub(logits, tf.mul(mask, 1e9)), 1);
  return tf.sub(zy, others) as tf.Tensor1D;
}
