import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkPerturbation,
  emptyStats,
  perturbationFlags,
} from '../../../../harness/orchestration/evaluate/perturbation-check.ts';
import { useCpuBackend } from '../../../support/tf.ts';

beforeAll(useCpuBackend);

describe('checkPerturbation', () => {
  it('records the largest Linf norm and flags out-of-ball, out-of-box and NaN examples', () => {
    const eps = 0.1;
    const x = tf.fill([4, 2, 2, 1], 0.5) as tf.Tensor4D;
    const adv = tf.tensor4d(
      [
        0.55,
        0.5,
        0.5,
        0.45,
        /* ok */ 0.5,
        0.7,
        0.5,
        0.5,
        /* over eps */ 0.5,
        0.5,
        NaN,
        0.5,
        /* NaN */ 0.5,
        0.5,
        0.5,
        0.6,
      ],
      [4, 2, 2, 1],
    );
    const s = checkPerturbation(x, adv, { norm: 'Linf', eps }, emptyStats());
    expect(s.checked).toBe(4);
    expect(s.maxPerturbation).toBeCloseTo(0.2, 6);
    expect(s.overEpsCount).toBe(1);
    expect(s.nanCount).toBe(1);
    expect(s.outOfBoxCount).toBe(0);
    expect(perturbationFlags(s)).toEqual(['nan-adversarial:1', 'over-eps:1']);
    tf.dispose([x, adv]);
  });

  it('uses the L2 norm and notices pixels outside [0,1]', () => {
    const x = tf.tensor4d([0.9, 0.9, 0.1, 0.1], [1, 2, 2, 1]);
    const adv = tf.tensor4d([1.2, 0.9, 0.1, 0.1], [1, 2, 2, 1]);
    const s = checkPerturbation(x, adv, { norm: 'L2', eps: 0.5 }, emptyStats());
    expect(s.maxPerturbation).toBeCloseTo(0.3, 5);
    expect(s.outOfBoxCount).toBe(1);
    expect(s.overEpsCount).toBe(0);
    tf.dispose([x, adv]);
  });

  it('does not leak tensors', () => {
    const x = tf.zeros([8, 4, 4, 1]) as tf.Tensor4D;
    const adv = tf.fill([8, 4, 4, 1], 0.01) as tf.Tensor4D;
    checkPerturbation(x, adv, { norm: 'Linf', eps: 0.1 }, emptyStats());
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) checkPerturbation(x, adv, { norm: 'Linf', eps: 0.1 }, emptyStats());
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, adv]);
  });
});
