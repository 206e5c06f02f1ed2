/**
 * @module gradStep: a loss and its gradients for the trainable parameters only, keyed by tree name
 * (`layer2.1.conv2.weight`) rather than tfjs's process-global variable names. Frozen parameters
 * (`trainable = false`) get no gradient, so an optimiser never touches them.
 *
 * @example
 * const { loss, grads } = tf.tidy(() => gradStep(model, () => crossEntropy(model.forward(x), y)));
 * opt.step(grads);
 * const value = loss.dataSync()[0];
 * tf.dispose([loss, grads]);
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import type { NamedVariables, Optimizer } from './optim.ts';

/** A type alias, not an interface: tf.tidy can then return it whole (it is a TensorContainer). */
export type GradStep = {
  loss: tf.Scalar;
  grads: Record<string, tf.Tensor>;
};

/**
 * Runs `lossFn` once and returns its value with d loss / d param for every trainable parameter of
 * `params` (a module, or a named list such as `model.trainableParameters()`). A trainable parameter
 * the loss does not depend on is absent from `grads`. Synchronous: call it inside tf.tidy.
 */
export function gradStep(params: Module | NamedVariables, lossFn: () => tf.Scalar): GradStep {
  const named = (params instanceof Module ? params.namedParameters() : params).filter(([, v]) => v.trainable);
  if (named.length === 0) throw new Error('gradStep: no trainable parameters (all are frozen)');
  const treeName = new Map(named.map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(
    lossFn,
    named.map(([, v]) => v),
  );
  const out: Record<string, tf.Tensor> = {};
  for (const [tfName, g] of Object.entries(grads)) if (g) out[treeName.get(tfName)!] = g;
  return { loss: value, grads: out };
}

/** One optimiser step on `lossFn`, all in one tidy; returns the loss value. */
export function trainStep(params: Module | NamedVariables, optimizer: Optimizer, lossFn: () => tf.Scalar): number {
  const loss = tf.tidy(() => {
    const { loss, grads } = gradStep(params, lossFn);
    optimizer.step(grads);
    return loss;
  });
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}
