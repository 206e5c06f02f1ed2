/**
 * @module CARTL's Feature Distance Minimisation (Chen et al., ICML 2021), the source side of CARTL:
 * adversarial training plus lambda / sqrt(d) * sum over the batch of ||r(x') - r(x)||_2, where r is the
 * flattened input of block L-k+1 (the first block the target will fine-tune) and d its dimension. Both
 * forwards run in train mode; the gradient flows through both.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../../foundation/models/classifier.ts';
import { captureInput, type InputCapture } from '../../foundation/nn/capture-input.ts';
import { crossEntropy } from '../../foundation/nn/losses.ts';

/** The module whose input is r: the first module of block L-k+1 (1-based), for 1 <= k <= L-1. */
export function fdmBoundary(model: Classifier, k: number): { block: number; module: string } {
  const blocks = model.blocks();
  if (!Number.isInteger(k) || k < 1 || k >= blocks.length) {
    throw new Error(
      `fdm.k: ${model.spec.arch} has ${blocks.length} blocks (head included); k must be 1..${blocks.length - 1} so that a frozen part remains, got ${k}`,
    );
  }
  const block = blocks.length - k;
  return { block, module: blocks[block][0] };
}

/** lambda / sqrt(d) * sum_i ||a_i - b_i||_2 over rows of flattened [N, ...] tensors; 1e-12 keeps the gradient finite at 0. */
export function featureDistanceSum(a: tf.Tensor, b: tf.Tensor, lambda: number): tf.Scalar {
  const n = a.shape[0];
  const diff = tf.reshape(tf.sub(a, b), [n, -1]);
  const d = diff.shape[1] as number;
  const norms = tf.sqrt(tf.add(tf.sum(tf.square(diff), 1), 1e-12));
  return tf.mul(tf.sum(norms), lambda / Math.sqrt(d)) as tf.Scalar;
}

export interface FdmObjective {
  readonly boundary: { block: number; module: string };
  /** CE(f(x'), y) + the FDM term; call with the model in train mode, inside the gradient tape. */
  loss(x: tf.Tensor4D, xAdv: tf.Tensor4D, y: tf.Tensor1D): { loss: tf.Scalar; ce: tf.Scalar; fdm: tf.Scalar };
  remove(): void;
}

export function fdmObjective(model: Classifier, { k, lambda }: { k: number; lambda: number }): FdmObjective {
  const boundary = fdmBoundary(model, k);
  const capture: InputCapture = captureInput(model, boundary.module);
  return {
    boundary,
    loss(x, xAdv, y) {
      const logits = model.forward(xAdv);
      const rAdv = capture.last!;
      model.forward(x);
      const rClean = capture.last!;
      const ce = crossEntropy(logits, y);
      const fdm = featureDistanceSum(rAdv, rClean, lambda);
      return { loss: tf.add(ce, fdm) as tf.Scalar, ce, fdm };
    },
    remove: () => capture.remove(),
  };
}
