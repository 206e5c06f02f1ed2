/**
 * @module The protocol's training attack: PGD with the model in eval mode (as the seed methods do),
 * restoring the model's mode afterwards. FGSM with a random start is the one-step case.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { pgd } from '../../../attacks/pgd.ts';
import type { Norm } from '../../../attacks/types.ts';
import type { Module } from '../../foundation/nn/module.ts';

export interface TrainingAttackOptions {
  norm: Norm;
  eps: number;
  stepSize: number;
  steps: number;
  randomStart: boolean;
}

export type TrainingAttack = (model: Module, x: tf.Tensor4D, y: tf.Tensor1D, seed: number) => tf.Tensor4D;

export function trainingAttack(o: TrainingAttackOptions): TrainingAttack {
  const attack = pgd({
    norm: o.norm,
    eps: o.eps,
    alpha: o.stepSize,
    steps: o.steps,
    randomStart: o.randomStart,
    restarts: 1,
  });
  return (model, x, y, seed) => {
    const wasTraining = model.training;
    model.eval();
    try {
      return attack.run((z) => model.forward(z) as tf.Tensor2D, x, y, seed).xAdv;
    } finally {
      model.train(wasTraining);
    }
  };
}
