import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradStep, trainStep } from '../../../../harness/foundation/nn/grad.ts';
import {
  AdaptiveAvgPool,
  BatchNorm2d,
  Conv2d,
  Identity,
  Linear,
  ReLU,
  Sequential,
} from '../../../../harness/foundation/nn/layers.ts';
import { crossEntropy } from '../../../../harness/foundation/nn/losses.ts';
import { StateDictError } from '../../../../harness/foundation/nn/module.ts';
import { SGD } from '../../../../harness/foundation/nn/optim.ts';
import { useCpuBackend } from '../../../support/tf.ts';

beforeAll(useCpuBackend);

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const smallNet = () =>
  new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, seed: 1 }),
    new BatchNorm2d(4),
    new ReLU(),
    new AdaptiveAvgPool(),
    new Linear(4, 3, { seed: 2 }),
  );

describe('Module tree', () => {
  it('names parameters and buffers by position and round-trips a state dict', () => {
    const net = smallNet();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '4.weight',
      '4.bias',
    ]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['1.running_mean', '1.running_var', '1.num_batches_tracked']);
    const state = net.stateDict();
    const other = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, seed: 9 }),
      new BatchNorm2d(4),
      new ReLU(),
      new AdaptiveAvgPool(),
      new Linear(4, 3, { seed: 8 }),
    );
    other.loadStateDict(state);
    for (const [name, v] of other.namedParameters()) expect(values(v), name).toEqual(values(state[name]));
    tf.dispose(state);
    net.dispose();
    other.dispose();
  });

  it('strict loadStateDict lists missing, unexpected and mis-shaped keys and writes nothing', () => {
    const net = new Sequential(new Linear(3, 4, { seed: 1 }), new ReLU(), new Linear(4, 2, { seed: 2 }));
    const state = net.stateDict();
    const original = values(net.namedParameters()[0][1]);
    const partial = { ...state };
    delete partial['2.bias'];
    const extra = { ...state, 'head.weight': tf.zeros([1]) };
    const wrong = { ...state, '0.weight': tf.zeros([4, 3]), '0.bias': tf.zeros([4]) };
    expect(() => net.loadStateDict(partial)).toThrow(/missing keys: 2\.bias/);
    expect(() => net.loadStateDict(extra)).toThrow(/unexpected keys: head\.weight/);
    expect(() => net.loadStateDict(wrong)).toThrow(StateDictError);
    expect(() => net.loadStateDict(wrong)).toThrow(/0\.weight: expected shape \[3, 4\], got \[4, 3\]/);
    expect(values(net.namedParameters()[0][1])).toEqual(original); // the good 0.bias was not written either
    // Non-strict loads what matches and reports the rest.
    const report = net.loadStateDict(extra, { strict: false });
    expect(report.unexpected).toEqual(['head.weight']);
    expect(report.missing).toEqual([]);
    tf.dispose([state, extra['head.weight'], wrong['0.weight'], wrong['0.bias']]);
    net.dispose();
  });

  it('replace() swaps matching modules, keeps the names and the training mode; train/eval propagate', () => {
    const net = new Sequential(new Linear(2, 2), new Sequential(new ReLU(), new Linear(2, 2)), new ReLU());
    net.eval();
    expect(
      net.replace(
        (m) => m instanceof ReLU,
        () => new Identity(),
      ),
    ).toBe(2);
    expect(net.child('2')).toBeInstanceOf(Identity);
    expect(net.namedModules().map(([n, m]) => `${n}:${m.constructor.name}`)).toEqual([
      ':Sequential',
      '0:Linear',
      '1:Sequential',
      '1.0:Identity',
      '1.1:Linear',
      '2:Identity',
    ]);
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
    // A replaced layer is used by forward (Sequential looks children up by name).
    const lin = net.child('0') as Linear;
    net.replace(
      (_, name) => name === '0',
      () => new Identity(),
    );
    expect(lin.namedParameters()).toEqual([]); // the old module was disposed
    const y = tf.tidy(() => net.forward(tf.ones([1, 2])));
    expect(y.shape).toEqual([1, 2]);
    y.dispose();
    net.dispose();
  });
});

describe('gradStep and frozen parameters', () => {
  it('returns gradients keyed by tree name for trainable parameters only', () => {
    const net = smallNet().train();
    expect(net.setTrainable((n) => n.startsWith('0.'), false)).toBe(2);
    const x = tf.randomUniform([4, 5, 5, 1], 0, 1, 'float32', 1);
    const y = tf.tensor1d([0, 1, 2, 0], 'int32');
    const { loss, grads } = tf.tidy(() => gradStep(net, () => crossEntropy(net.forward(x) as tf.Tensor2D, y)));
    expect(Object.keys(grads).sort()).toEqual(['1.bias', '1.weight', '4.bias', '4.weight']);
    expect(grads['4.weight'].shape).toEqual([4, 3]);
    expect(loss.shape).toEqual([]);
    tf.dispose([loss, grads, x, y]);
    net.setTrainable(() => true, false);
    expect(() => gradStep(net, () => tf.scalar(0))).toThrow(/no trainable parameters/);
    net.dispose();
  });

  it('frozen parameters and eval-mode BN stay bit-identical through SGD steps with momentum and weight decay', () => {
    const net = smallNet().train();
    net.setTrainable((n) => !n.startsWith('4.'), false); // only the head trains
    (net.child('1') as BatchNorm2d).eval(); // frozen BN keeps its statistics
    const frozen = Object.fromEntries(
      [...net.namedParameters(), ...net.namedBuffers()].map(([n, v]) => [n, values(v)]),
    );
    const opt = new SGD(net.trainableParameters(), { lr: 0.5, momentum: 0.9, weightDecay: 0.1 });
    const x = tf.randomUniform([4, 5, 5, 1], 0, 1, 'float32', 1);
    const y = tf.tensor1d([0, 1, 2, 0], 'int32');
    const losses = Array.from({ length: 3 }, () =>
      trainStep(net, opt, () => crossEntropy(net.forward(x) as tf.Tensor2D, y)),
    );
    for (const [name, v] of [...net.namedParameters(), ...net.namedBuffers()]) {
      if (name.startsWith('4.')) expect(values(v), name).not.toEqual(frozen[name]);
      else expect(values(v), name).toEqual(frozen[name]);
    }
    expect(losses[2]).toBeLessThan(losses[0]);
    opt.dispose();
    tf.dispose([x, y]);
    net.dispose();
  });
});
