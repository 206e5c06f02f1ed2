import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, SGD } from '../../../../harness/foundation/nn/optim.ts';
import { useCpuBackend } from '../../../support/tf.ts';

beforeAll(useCpuBackend);

/** Runs steps on one scalar parameter w (starting at 1) with the given gradients; returns w after each. */
function trace(make: (params: [string, tf.Variable][]) => SGD | Adam, grads: number[]): number[] {
  const w = tf.variable(tf.tensor1d([1.0]));
  const opt = make([['w', w]]);
  const out = grads.map((g) => {
    tf.tidy(() => opt.step({ w: tf.tensor1d([g]) }));
    return w.dataSync()[0];
  });
  opt.dispose();
  w.dispose();
  return out;
}

describe('SGD (torch.optim.SGD update order)', () => {
  it('momentum + weight decay + nesterov over two steps', () => {
    // Step 1: g = 0.5 + 0.01·1 = 0.51; buf = 0.51; g = 0.51 + 0.9·0.51 = 0.969; w = 1 − 0.0969 = 0.9031.
    // Step 2: g = 0.5 + 0.01·0.9031 = 0.509031; buf = 0.9·0.51 + 0.509031 = 0.968031;
    //         g = 0.509031 + 0.9·0.968031 = 1.3802589; w = 0.9031 − 0.13802589 = 0.76507411.
    const [w1, w2] = trace(
      (p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true }),
      [0.5, 0.5],
    );
    expect(w1).toBeCloseTo(0.9031, 6);
    expect(w2).toBeCloseTo(0.76507411, 6);
  });

  it('momentum with dampening: the first step takes the raw gradient, later ones (1 − dampening)·g', () => {
    // Step 1: g = 0.51; buf = 0.51 (no dampening on the first step); w = 0.949.
    // Step 2: g = 0.5 + 0.00949 = 0.50949; buf = 0.9·0.51 + 0.9·0.50949 = 0.917541; w = 0.8572459.
    const [w1, w2] = trace(
      (p) => new SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
      [0.5, 0.5],
    );
    expect(w1).toBeCloseTo(0.949, 6);
    expect(w2).toBeCloseTo(0.8572459, 6);
  });

  it('plain SGD, and maximize ascends', () => {
    expect(trace((p) => new SGD(p, { lr: 0.1 }), [0.5])[0]).toBeCloseTo(0.95, 7);
    // maximize negates the gradient before weight decay: g = −0.5 + 0.01 = −0.49; w = 1.049.
    expect(trace((p) => new SGD(p, { lr: 0.1, weightDecay: 0.01, maximize: true }), [0.5])[0]).toBeCloseTo(1.049, 6);
  });

  it('rejects nesterov without momentum', () => {
    expect(() => new SGD([], { lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum/);
  });
});

describe('Adam (torch.optim.Adam)', () => {
  it('bias-corrected moments over two steps', () => {
    // t=1: m = 0.05, v = 0.00025 → m̂ = 0.5, v̂ = 0.25; w = 1 − 0.1·0.5/(0.5 + 1e-8) = 0.9.
    // t=2 (g = −0.25): m = 0.02, v = 0.00031225; m̂ = 0.02/0.19, v̂ = 0.00031225/0.001999; w = 0.8733663.
    const [w1, w2] = trace((p) => new Adam(p, { lr: 0.1 }), [0.5, -0.25]);
    expect(w1).toBeCloseTo(0.9, 6);
    expect(w2).toBeCloseTo(0.8733663, 6);
  });
});

describe('optimiser state', () => {
  it('skips parameters without a gradient, touches only its own list, and dispose() frees every buffer', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([3]));
    const other = tf.variable(tf.tensor1d([7]));
    const before = tf.memory().numTensors;
    for (const opt of [
      new SGD(
        [
          ['a', a],
          ['b', b],
        ],
        { lr: 0.1, momentum: 0.9 },
      ),
      new Adam(
        [
          ['a', a],
          ['b', b],
        ],
        { lr: 0.1 },
      ),
    ]) {
      tf.tidy(() => opt.step({ a: tf.tensor1d([1, 1]), other: tf.tensor1d([1]) }));
      tf.tidy(() => opt.step({ a: tf.tensor1d([1, 1]) }));
      expect(b.dataSync()[0]).toBe(3);
      expect(other.dataSync()[0]).toBe(7);
      expect(tf.memory().numTensors).toBeGreaterThan(before); // its buffers
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(a.dataSync()[0]).toBeLessThan(1);
    tf.dispose([a, b, other]);
  });
});
