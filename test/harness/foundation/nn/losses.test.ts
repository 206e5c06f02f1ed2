import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  crossEntropy,
  dlrLoss,
  dlrTargetedLoss,
  klDivergence,
  margin,
} from '../../../../harness/foundation/nn/losses.ts';
import { useCpuBackend } from '../../../support/tf.ts';

beforeAll(useCpuBackend);

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('cross-entropy', () => {
  it('matches -log softmax(z)[y] with mean, sum and none reductions', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([
        [2, 0, 0],
        [0, 1, 3],
      ]);
      const y = tf.tensor1d([0, 1], 'int32');
      const ce0 = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
      const ce1 = -Math.log(Math.exp(1) / (1 + Math.exp(1) + Math.exp(3)));
      expect(crossEntropy(logits, y).dataSync()[0]).toBeCloseTo((ce0 + ce1) / 2, 5);
      expect(crossEntropy(logits, y, 'sum').dataSync()[0]).toBeCloseTo(ce0 + ce1, 5);
      const none = crossEntropy(logits, y, 'none');
      expect(none.shape).toEqual([2]);
      values(none).forEach((v, i) => expect(v).toBeCloseTo([ce0, ce1][i], 5));
      // Float labels are accepted and cast.
      expect(crossEntropy(logits, tf.tensor1d([0, 1]), 'sum').dataSync()[0]).toBeCloseTo(ce0 + ce1, 5);
    });
  });

  it('stays finite for huge logits (log-softmax, not log(softmax))', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([
        [1e4, 0, -1e4],
        [-1e4, 1e4, 0],
      ]);
      const [a, b] = values(crossEntropy(logits, tf.tensor1d([1, 1], 'int32'), 'none'));
      expect(a).toBe(1e4);
      expect(Math.abs(b)).toBe(0);
      const g = tf.grad((z: tf.Tensor) => crossEntropy(z as tf.Tensor2D, tf.tensor1d([1, 1], 'int32')))(logits);
      expect(values(g).every(Number.isFinite)).toBe(true);
    });
  });
});

describe('KL divergence (TRADES)', () => {
  it('is KL(p_target || p_input) with PyTorch KLDivLoss semantics, zero for equal inputs', () => {
    tf.tidy(() => {
      // p_target = softmax([ln 3, 0]) = (3/4, 1/4); p_input = (1/2, 1/2).
      const kl = klDivergence(tf.tensor2d([[0, 0]]), tf.tensor2d([[Math.log(3), 0]]), 'sum').dataSync()[0];
      expect(kl).toBeCloseTo(0.75 * Math.log(0.75 / 0.5) + 0.25 * Math.log(0.25 / 0.5), 6);
      // The other direction differs: the argument order matters.
      const reverse = klDivergence(tf.tensor2d([[Math.log(3), 0]]), tf.tensor2d([[0, 0]]), 'sum').dataSync()[0];
      expect(reverse).toBeCloseTo(0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(0.5 / 0.25), 6);
      const z = tf.tensor2d([
        [2, 0, 0],
        [0, 1, 3],
      ]);
      expect(values(klDivergence(z, z))).toEqual([0, 0].map(() => expect.closeTo(0, 6)));
    });
  });
});

describe('margin and DLR (AutoAttack)', () => {
  it('margin is z_y − max_{i≠y} z_i', () => {
    tf.tidy(() => {
      expect(
        values(
          margin(
            tf.tensor2d([
              [2, 0, 0],
              [0, 1, 3],
            ]),
            tf.tensor1d([0, 1], 'int32'),
          ),
        ),
      ).toEqual([2, -2]);
      // Ties: the runner-up may equal z_y.
      expect(values(margin(tf.tensor2d([[5, 5, 1]]), tf.tensor1d([0], 'int32')))).toEqual([0]);
    });
  });

  it('untargeted DLR = −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3)', () => {
    tf.tidy(() => {
      const z = tf.tensor2d([
        [1, 2, 3, 4],
        [4, 3, 2, 1],
        [0, 10, 5, 6],
      ]);
      // Row 0, y = 3 (top): −(4 − 3)/(4 − 2) = −0.5; row 1, y = 3 (last): −(1 − 4)/(4 − 2) = 1.5;
      // row 2, y = 2: −(5 − 10)/(10 − 5) = 1.
      const got = values(dlrLoss(z, tf.tensor1d([3, 3, 2], 'int32')));
      [-0.5, 1.5, 1].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
      expect(dlrLoss(z, tf.tensor1d([3, 3, 2], 'int32'), 'mean').dataSync()[0]).toBeCloseTo(2 / 3, 5);
    });
  });

  it('targeted DLR = −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2)', () => {
    tf.tidy(() => {
      const z = tf.tensor2d([
        [1, 2, 3, 4],
        [0, 10, 5, 6],
      ]);
      // Row 0: y = 3, t = 0: −(4 − 1)/(4 − 1.5) = −1.2; row 1: y = 2, t = 1: −(5 − 10)/(10 − 2.5) = 2/3.
      const got = values(dlrTargetedLoss(z, tf.tensor1d([3, 2], 'int32'), tf.tensor1d([0, 1], 'int32')));
      [-1.2, 2 / 3].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    });
  });

  it('refuses too few classes instead of dividing by a missing logit', () => {
    tf.tidy(() => {
      expect(() => dlrLoss(tf.zeros([1, 2]) as tf.Tensor2D, tf.tensor1d([0], 'int32'))).toThrow(
        /at least 3 classes, got 2/,
      );
      const three = tf.zeros([1, 3]) as tf.Tensor2D;
      expect(() => dlrTargetedLoss(three, tf.tensor1d([0], 'int32'), tf.tensor1d([1], 'int32'))).toThrow(
        /at least 4 classes, got 3/,
      );
    });
  });
});
