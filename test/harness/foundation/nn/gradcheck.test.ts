import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gradStep } from '../../../../harness/foundation/nn/grad.ts';
import { AdaptiveAvgPool, BatchNorm2d, Conv2d, Linear, Sequential } from '../../../../harness/foundation/nn/layers.ts';
import { crossEntropy, dlrLoss, dlrTargetedLoss, klDivergence } from '../../../../harness/foundation/nn/losses.ts';
import type { Module } from '../../../../harness/foundation/nn/module.ts';
import { useCpuBackend } from '../../../support/tf.ts';
import { allIndices, expectGradClose, numericGrad, value } from './finite-diff.ts';

beforeAll(useCpuBackend);

// Every check compares all entries of every parameter and of the input, so a transposed weight, a
// wrong sign or a mis-strided gradient fails. Losses linear in a tensor (a random probe · output)
// are checked tightly; the nonlinear ones (BN in x, cross-entropy) to 1e-2 relative.
let held: tf.Tensor[] = [];
const keep = <T extends tf.Tensor>(t: T): T => (held.push(t), t);
beforeEach(() => (held = []));
afterEach(() => tf.dispose(held));

function checkAll(
  module: Module,
  input: tf.Variable,
  loss: () => tf.Scalar,
  h: number,
  rel: number,
  abs: number,
): number {
  const named: [string, tf.Variable][] = [['input', input], ...module.namedParameters()];
  const { loss: l, grads } = tf.tidy(() => gradStep(named, loss));
  let checked = 0;
  for (const [name, v] of named) {
    expect(grads[name], `gradient for ${name}`).toBeDefined();
    const idx = allIndices(v);
    expectGradClose(name, numericGrad(value(loss), v, idx, h), grads[name].dataSync(), idx, rel, abs);
    checked += idx.length;
  }
  tf.dispose([l, grads]);
  return checked;
}

describe('gradients match central finite differences', () => {
  it('Conv2d with stride 2 and padding 1 (odd input size): weight, bias and input', () => {
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 1, seed: 11 });
    const x = keep(tf.variable(tf.randomNormal([2, 5, 5, 2], 0, 1, 'float32', 1)));
    const probe = keep(tf.randomNormal([2, 3, 3, 3], 0, 1, 'float32', 2));
    const n = checkAll(conv, x, () => tf.sum(tf.mul(conv.forward(x), probe)), 0.25, 2e-3, 2e-3);
    expect(n).toBe(100 + 54 + 3);
    conv.dispose();
  });

  it('Linear: weight [in, out], bias and input', () => {
    const lin = new Linear(4, 3, { seed: 5 });
    const x = keep(tf.variable(tf.randomNormal([5, 4], 0, 1, 'float32', 3)));
    const probe = keep(tf.randomNormal([5, 3], 0, 1, 'float32', 4));
    expect(checkAll(lin, x, () => tf.sum(tf.mul(lin.forward(x), probe)), 0.25, 2e-3, 2e-3)).toBe(20 + 12 + 3);
    lin.dispose();
  });

  it('BatchNorm2d in training mode (batch statistics): input, weight and bias', () => {
    const bn = new BatchNorm2d(3).train();
    tf.tidy(() => {
      bn.weight.assign(tf.tensor1d([0.5, -1.2, 2]));
      bn.bias.assign(tf.tensor1d([0.1, 0.2, -0.3]));
    });
    const x = keep(tf.variable(tf.randomNormal([4, 3, 2, 3], 0.5, 2, 'float32', 5)));
    const probe = keep(tf.randomNormal([4, 3, 2, 3], 0, 1, 'float32', 6));
    expect(checkAll(bn, x, () => tf.sum(tf.mul(bn.forward(x), probe)), 1e-2, 1e-2, 2e-3)).toBe(72 + 3 + 3);
    bn.dispose();
  });

  it('a conv (stride 2, pad 1) → BN (train) → pool → linear → cross-entropy stack', () => {
    const net = new Sequential(
      new Conv2d(1, 4, 3, { stride: 2, padding: 1, seed: 7 }),
      new BatchNorm2d(4),
      new AdaptiveAvgPool(),
      new Linear(4, 3, { seed: 8 }),
    ).train();
    const x = keep(tf.variable(tf.randomUniform([3, 6, 6, 1], 0, 1, 'float32', 9)));
    const y = keep(tf.tensor1d([0, 2, 1], 'int32'));
    expect(checkAll(net, x, () => crossEntropy(net.forward(x) as tf.Tensor2D, y), 1e-2, 2e-2, 1e-3)).toBeGreaterThan(
      100,
    );
    net.dispose();
  });

  it('cross-entropy (mean and sum), KL and DLR losses with respect to the logits', () => {
    const z = keep(
      tf.variable(
        tf.tensor2d([
          [1.5, -0.3, 0.2, 2.1, 0],
          [0.1, 0.4, -1, 0.3, 2.5],
          [3, 1, 0.5, -2, 0.2],
        ]),
      ),
    );
    const y = keep(tf.tensor1d([3, 0, 1], 'int32'));
    const t = keep(tf.tensor1d([1, 4, 0], 'int32'));
    const clean = keep(
      tf.tensor2d([
        [1, 0, 0, 2, 0],
        [0, 0, 0, 0, 1],
        [2, 0, 1, 0, 0],
      ]),
    );
    const idx = allIndices(z);
    const losses: [string, () => tf.Scalar][] = [
      ['ce mean', () => crossEntropy(z as tf.Tensor2D, y)],
      ['ce sum', () => crossEntropy(z as tf.Tensor2D, y, 'sum')],
      ['kl', () => klDivergence(z as tf.Tensor2D, clean, 'sum') as tf.Scalar],
      ['dlr', () => dlrLoss(z as tf.Tensor2D, y, 'sum') as tf.Scalar],
      ['dlr-t', () => dlrTargetedLoss(z as tf.Tensor2D, y, t, 'sum') as tf.Scalar],
    ];
    for (const [label, f] of losses) {
      const g = tf.tidy(() => tf.grad(() => f())(z));
      expectGradClose(label, numericGrad(value(f), z, idx, 1e-2), g.dataSync(), idx, 1e-2, 1e-3);
      g.dispose();
    }
  });
});
