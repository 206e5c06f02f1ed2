/**
 * @module RiFT's Module Robust Criticality (Zhu et al., ICCV 2023): how much the robust loss of a fixed
 * set of adversarial examples can grow when one module's weight moves within a relative radius,
 * MRC(W) = max_{||dW||_F <= r ||W||_F} L(W + dW) - L(W). The max is searched by gradient ascent on W
 * alone (SGD with maximize, lr 1), projecting onto the ball after each epoch over the set, model in eval
 * mode; dW = 0 is feasible, so MRC >= 0. The model is restored exactly afterwards.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../../harness/foundation/models/classifier.ts';
import { crossEntropy } from '../../harness/foundation/nn/losses.ts';
import { Conv2d } from '../../harness/foundation/nn/conv.ts';
import { Linear } from '../../harness/foundation/nn/linear.ts';
import { SGD } from '../../harness/foundation/nn/optim.ts';

export interface AdversarialSet {
  readonly batches: readonly { x: tf.Tensor4D; y: tf.Tensor1D }[];
  readonly n: number;
}

export interface MrcOptions {
  /** Passes of gradient ascent over the set. @default 10 */
  readonly epochs: number;
  /** @default 1 */
  readonly lr: number;
  /** Radius relative to ||W||_F. @default 0.1 */
  readonly radius: number;
}

export interface MrcResult {
  mrc: number;
  baseLoss: number;
  worstLoss: number;
  /** ||dW||_F of the worst perturbation found (0 when none beat the unperturbed weight). */
  worstDeltaNorm: number;
  /** The allowed ||dW||_F. */
  radius: number;
  /** The worst dW itself, when asked for (the caller disposes it). */
  worstDelta?: tf.Tensor;
}

/** Names of the modules RiFT ranks: every Conv2d and Linear, in tree order. */
export function criticalityCandidates(model: Classifier): string[] {
  return model
    .namedModules()
    .filter(([, m]) => m instanceof Conv2d || m instanceof Linear)
    .map(([name]) => name);
}

/** Mean cross-entropy over the whole set. */
export function setLoss(model: Classifier, set: AdversarialSet): number {
  let sum = 0;
  for (const { x, y } of set.batches) {
    const s = tf.tidy(() => crossEntropy(model.forward(x), y, 'sum'));
    sum += s.dataSync()[0];
    s.dispose();
  }
  return sum / set.n;
}

export function moduleRobustCriticality(
  model: Classifier,
  moduleName: string,
  set: AdversarialSet,
  o: MrcOptions,
  { keepWorst = false } = {},
): MrcResult {
  const module = model.namedModules().find(([n]) => n === moduleName)?.[1];
  if (!(module instanceof Conv2d || module instanceof Linear))
    throw new Error(`rift: '${moduleName}' is not a Conv2d or Linear of ${model.spec.arch}`);
  const w = module.weight;
  const wasTraining = model.training;
  const wasTrainable = w.trainable;
  model.eval();
  w.trainable = true;
  const w0 = w.clone();
  const radius = o.radius * tf.tidy(() => tf.norm(w0).dataSync()[0]);
  const optimizer = new SGD([[moduleName, w]], { lr: o.lr, maximize: true });
  let worstDelta: tf.Tensor | undefined;
  let worstDeltaNorm = 0;
  try {
    const baseLoss = setLoss(model, set);
    let worstLoss = baseLoss;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      for (const { x, y } of set.batches) {
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => crossEntropy(model.forward(x), y), [w]);
          optimizer.step({ [moduleName]: grads[w.name] });
        });
      }
      // Project dW back onto the ball ||dW||_F <= radius.
      const norm = tf.tidy(() => {
        const d = tf.sub(w, w0);
        const n = tf.norm(d).dataSync()[0];
        if (n > radius) w.assign(tf.add(w0, tf.mul(d, radius / n)));
        return tf.norm(tf.sub(w, w0));
      });
      const deltaNorm = norm.dataSync()[0];
      norm.dispose();
      const loss = setLoss(model, set);
      if (loss > worstLoss) {
        worstLoss = loss;
        worstDeltaNorm = deltaNorm;
        if (keepWorst) {
          worstDelta?.dispose();
          worstDelta = tf.sub(w, w0);
        }
      }
    }
    return {
      mrc: worstLoss - baseLoss,
      baseLoss,
      worstLoss,
      worstDeltaNorm,
      radius,
      ...(keepWorst ? { worstDelta: worstDelta ?? tf.zerosLike(w0) } : {}),
    };
  } finally {
    w.assign(w0);
    w0.dispose();
    w.trainable = wasTrainable;
    optimizer.dispose();
    model.train(wasTraining);
  }
}
