/**
 * @module Losses on logits [N, K] with int labels [N], numerically stable (built on log-softmax), with
 * PyTorch's reductions. Per-example forms (`'none'`) are what attacks need.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Reduction = 'mean' | 'sum' | 'none';

function reduce(perExample: tf.Tensor1D, reduction: Reduction): tf.Tensor {
  if (reduction === 'none') return perExample;
  return reduction === 'sum' ? tf.sum(perExample) : tf.mean(perExample);
}

function oneHot(labels: tf.Tensor1D, k: number): tf.Tensor2D {
  return tf.oneHot(tf.cast(labels, 'int32'), k) as tf.Tensor2D;
}

/** z[i, labels[i]]: a masked sum, so the gradient flows to the picked logit only. */
function pick(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.sum(tf.mul(logits, oneHot(labels, logits.shape[1])), 1) as tf.Tensor1D;
}

/** max over i != labels[i] of z[i] (the runner-up when the label wins). */
function maxOther(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const isLabel = tf.cast(oneHot(labels, logits.shape[1]), 'bool');
  return tf.max(tf.where(isLabel, tf.fill(logits.shape, -Infinity), logits), 1) as tf.Tensor1D;
}

/** nn.CrossEntropyLoss: -log softmax(z)[y]; 'mean' (default) averages over the batch. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction?: 'mean' | 'sum'): tf.Scalar;
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction: 'none'): tf.Tensor1D;
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction: Reduction): tf.Tensor;
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction: Reduction = 'mean'): tf.Tensor {
  return reduce(tf.neg(pick(tf.logSoftmax(logits), labels)) as tf.Tensor1D, reduction);
}

/**
 * KL(p_target || p_input) per example, i.e. PyTorch's KLDivLoss(log_softmax(input), softmax(target))
 * summed over classes. TRADES: input = adversarial logits, target = clean logits, reduction 'sum'
 * then divided by the batch size.
 */
export function klDivergence(
  inputLogits: tf.Tensor2D,
  targetLogits: tf.Tensor2D,
  reduction: Reduction = 'none',
): tf.Tensor {
  const logq = tf.logSoftmax(inputLogits);
  const logp = tf.logSoftmax(targetLogits);
  return reduce(tf.sum(tf.mul(tf.exp(logp), tf.sub(logp, logq)), 1) as tf.Tensor1D, reduction);
}

/** z_y - max_{i != y} z_i per example: the CW margin, negative when misclassified (Square's loss). */
export function margin(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.sub(pick(logits, labels), maxOther(logits, labels)) as tf.Tensor1D;
}

/** The j-th largest logit per example (j = 0 is the largest), differentiable as PyTorch's sort. */
function sortedLogit(logits: tf.Tensor2D, order: tf.Tensor2D, j: number): tf.Tensor1D {
  const idx = tf.squeeze(tf.slice(order, [0, j], [-1, 1]), [1]) as tf.Tensor1D;
  return pick(logits, idx);
}

/**
 * Indices of the k largest logits, a constant for autodiff: tfjs has no TopK gradient, so the sort
 * runs inside a custom gradient of zero; the values are then picked differentiably.
 */
function descending(logits: tf.Tensor2D, k: number): tf.Tensor2D {
  const order = tf.customGrad(((z: tf.Tensor) => ({
    value: tf.topk(z, k).indices,
    gradFunc: () => tf.zerosLike(z),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return order(logits) as tf.Tensor2D;
}

function assertClasses(name: string, logits: tf.Tensor2D, min: number): void {
  if (logits.shape[1] < min) {
    throw new Error(
      `${name}: needs at least ${min} classes, got ${logits.shape[1]}; fall back to another loss and record it`,
    );
  }
}

/**
 * AutoAttack's untargeted DLR loss per example: -(z_y - max_{i != y} z_i) / (z_π1 - z_π3 + 1e-12),
 * π sorting the logits in decreasing order. Needs at least 3 classes.
 */
export function dlrLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction: Reduction = 'none'): tf.Tensor {
  assertClasses('dlrLoss', logits, 3);
  const order = descending(logits, 3);
  const denom = tf.add(tf.sub(sortedLogit(logits, order, 0), sortedLogit(logits, order, 2)), 1e-12);
  return reduce(tf.div(tf.neg(margin(logits, labels)), denom) as tf.Tensor1D, reduction);
}

/**
 * AutoAttack's targeted DLR loss per example: -(z_y - z_t) / (z_π1 - (z_π3 + z_π4) / 2 + 1e-12).
 * Needs at least 4 classes.
 */
export function dlrTargetedLoss(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  targets: tf.Tensor1D,
  reduction: Reduction = 'none',
): tf.Tensor {
  assertClasses('dlrTargetedLoss', logits, 4);
  const order = descending(logits, 4);
  const tail = tf.mul(tf.add(sortedLogit(logits, order, 2), sortedLogit(logits, order, 3)), 0.5);
  const denom = tf.add(tf.sub(sortedLogit(logits, order, 0), tail), 1e-12);
  const num = tf.sub(pick(logits, labels), pick(logits, targets));
  return reduce(tf.div(tf.neg(num), denom) as tf.Tensor1D, reduction);
}
