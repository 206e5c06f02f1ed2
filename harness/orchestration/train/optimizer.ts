/**
 * @module minimize(): one optimiser step on a model's trainable parameters. The loss and its gradients
 * are computed in one tidy; only the scalar loss value leaves it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../../foundation/nn/module.ts';
import { SGD, type OptimizerState, type SgdOptions } from '../../foundation/nn/optim.ts';

export interface Optimizer {
  lr: number;
  /** Computes the loss, steps every trainable parameter, returns the loss value. */
  minimize(loss: () => tf.Scalar): number;
  /** Momentum buffers and counters, for training checkpoints (see nn/optim.ts). */
  state(): OptimizerState;
  loadState(s: OptimizerState): void;
  dispose(): void;
}

export function sgd(model: Module, options: SgdOptions): Optimizer {
  const params = model.trainableParameters();
  const inner = new SGD(params, options);
  // tfjs keys gradients by its own variable names; map them back to the tree's names.
  const ourName = new Map(params.map(([name, v]) => [v.name, name]));
  return {
    get lr() {
      return inner.lr;
    },
    set lr(v: number) {
      inner.lr = v;
    },
    minimize(loss) {
      const value = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          loss,
          params.map(([, v]) => v),
        );
        const named: Record<string, tf.Tensor> = {};
        for (const [tfName, g] of Object.entries(grads)) named[ourName.get(tfName)!] = g;
        inner.step(named);
        return value;
      });
      const out = value.dataSync()[0];
      value.dispose();
      return out;
    },
    state: () => inner.state(),
    loadState: (s) => inner.loadState(s),
    dispose: () => inner.dispose(),
  };
}
