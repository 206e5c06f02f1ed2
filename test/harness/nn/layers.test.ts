import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv2d, Linear, Sequential, ReLU, Identity } from '../../../harness/nn/layers.ts';
import { crossEntropy, klDivergence, margin } from '../../../harness/nn/losses.ts';
import { SGD } from '../../../harness/nn/optim.ts';
import { cosine, multistep, piecewiseLinear, warmup } from '../../../harness/nn/schedule.ts';
import { StateDictError } from '../../../harness/nn/module.ts';
import { useCpuBackend } from '../../support/tf.ts';

beforeAll(useCpuBackend);

describe('Conv2d', () => {
  it('pads and strides as PyTorch: out = floor((H + 2p - k) / s) + 1, and computes a known sum', () => {
    const conv = new Conv2d(1, 1, 3, { stride: 2, padding: 1, bias: false });
    conv.weight.assign(tf.ones([3, 3, 1, 1]));
    const x = tf.tensor4d(Array.from({ length: 25 }, (_, i) => i + 1), [1, 5, 5, 1]);
    const y = tf.tidy(() => conv.forward(x));
    expect(y.shape).toEqual([1, 3, 3, 1]);
    // Top-left output: window rows -1..1, cols -1..1 over zero padding: 1+2+6+7 = 16.
    expect(y.dataSync()[0]).toBe(16);
    // Centre output at input (2,2): the 3x3 block 7,8,9,12,13,14,17,18,19 sums to 117.
    expect(y.dataSync()[4]).toBe(117);
    tf.dispose([x, y]);
    conv.dispose();
  });

  it('initialises deterministically from the seed, within PyTorch bounds', () => {
    const a = new Conv2d(4, 8, 3, { seed: 3 });
    const b = new Conv2d(4, 8, 3, { seed: 3 });
    const c = new Conv2d(4, 8, 3, { seed: 4 });
    expect(Array.from(a.weight.dataSync())).toEqual(Array.from(b.weight.dataSync()));
    expect(Array.from(a.weight.dataSync())).not.toEqual(Array.from(c.weight.dataSync()));
    const bound = 1 / Math.sqrt(4 * 9);
    expect(Math.max(...Array.from(a.weight.dataSync()).map(Math.abs))).toBeLessThanOrEqual(bound);
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('losses', () => {
  it('cross-entropy, KL and margin match hand-computed values', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([[2, 0, 0], [0, 1, 3]]);
      const y = tf.tensor1d([0, 1], 'int32');
      const ce0 = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
      const ce1 = -Math.log(Math.exp(1) / (1 + Math.exp(1) + Math.exp(3)));
      expect(crossEntropy(logits, y).dataSync()[0]).toBeCloseTo((ce0 + ce1) / 2, 5);
      expect(Array.from(margin(logits, y).dataSync())).toEqual([2, -2]);
      expect(klDivergence(logits, logits, 'sum').dataSync()[0]).toBeCloseTo(0, 6);
      expect(klDivergence(tf.tensor2d([[0, 0]]), tf.tensor2d([[Math.log(3), 0]]), 'sum').dataSync()[0]).toBeCloseTo(0.75 * Math.log(1.5) + 0.25 * Math.log(0.5), 5);
    });
  });
});

describe('SGD', () => {
  it('follows torch.optim.SGD with momentum, weight decay and nesterov over two steps', () => {
    const w = tf.variable(tf.tensor1d([1.0]));
    const opt = new SGD([['w', w]], { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true });
    // Step 1: g = 0.5 + 0.01 * 1 = 0.51; buf = 0.51; nesterov g = 0.51 + 0.9 * 0.51 = 0.969; w = 1 - 0.0969 = 0.9031.
    tf.tidy(() => opt.step({ w: tf.tensor1d([0.5]) }));
    expect(w.dataSync()[0]).toBeCloseTo(0.9031, 6);
    // Step 2: g = 0.5 + 0.009031 = 0.509031; buf = 0.9 * 0.51 + 0.509031 = 0.968031;
    // nesterov g = 0.509031 + 0.9 * 0.968031 = 1.3802589; w = 0.9031 - 0.13802589 = 0.76507411.
    tf.tidy(() => opt.step({ w: tf.tensor1d([0.5]) }));
    expect(w.dataSync()[0]).toBeCloseTo(0.76507411, 6);
    opt.dispose();
    w.dispose();
  });
});

describe('schedules', () => {
  it('multistep, cosine, warm-up and piecewise-linear', () => {
    expect(multistep(0.1, [30, 50])(29)).toBeCloseTo(0.1);
    expect(multistep(0.1, [30, 50])(30)).toBeCloseTo(0.01);
    expect(multistep(0.1, [30, 50])(55)).toBeCloseTo(0.001);
    expect(cosine(1, 10)(0)).toBe(1);
    expect(cosine(1, 10)(5)).toBeCloseTo(0.5);
    expect(cosine(1, 10)(10)).toBeCloseTo(0);
    expect(warmup(1, () => 0.4)(0.5)).toBeCloseTo(0.2);
    expect(piecewiseLinear([0, 2, 4], [0, 1, 0])(1)).toBeCloseTo(0.5);
    expect(piecewiseLinear([0, 2, 4], [0, 1, 0])(3.5)).toBeCloseTo(0.25);
  });
});

describe('Module tree', () => {
  it('names parameters by position, round-trips a state dict and lists what a strict load lacks', () => {
    const net = new Sequential(new Linear(3, 4, { seed: 1 }), new ReLU(), new Linear(4, 2, { seed: 2 }));
    expect(net.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const state = net.stateDict();
    const other = new Sequential(new Linear(3, 4, { seed: 9 }), new ReLU(), new Linear(4, 2, { seed: 8 }));
    other.loadStateDict(state);
    expect(Array.from(other.namedParameters()[2][1].dataSync())).toEqual(Array.from(net.namedParameters()[2][1].dataSync()));
    const partial = { ...state };
    delete partial['2.bias'];
    const extra = { ...state, 'head.weight': tf.zeros([1]) };
    const wrong = { ...state, '0.weight': tf.zeros([4, 3]) };
    expect(() => other.loadStateDict(partial)).toThrow(/missing keys: 2\.bias/);
    expect(() => other.loadStateDict(extra)).toThrow(/unexpected keys: head\.weight/);
    expect(() => other.loadStateDict(wrong)).toThrow(StateDictError);
    expect(() => other.loadStateDict(wrong)).toThrow(/0\.weight: expected shape \[3, 4\], got \[4, 3\]/);
    tf.dispose([state, extra['head.weight'], wrong['0.weight']]);
    net.dispose();
    other.dispose();
  });

  it('replace() swaps matching modules and keeps the names; setTrainable freezes by name; train/eval propagate', () => {
    const net = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 2));
    expect(net.replace((m) => m instanceof ReLU, () => new Identity())).toBe(1);
    expect(net.child('1')).toBeInstanceOf(Identity);
    expect(net.setTrainable((n) => n.startsWith('0.'), false)).toBe(2);
    expect(net.trainableParameters().map(([n]) => n)).toEqual(['2.weight', '2.bias']);
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.dispose();
  });
});
