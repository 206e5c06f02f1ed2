import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../../../harness/foundation/models/classifier.ts';
import { architectures, buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { type Conv2d, Linear } from '../../../../harness/foundation/nn/layers.ts';
import type { Module } from '../../../../harness/foundation/nn/module.ts';
import { useCpuBackend } from '../../../support/tf.ts';

beforeAll(useCpuBackend);

const cifar = (arch: string, numClasses = 10): ModelSpec => ({
  arch,
  numClasses,
  inputShape: [32, 32, 3],
  mean: [0.49, 0.48, 0.45],
  std: [0.25, 0.24, 0.26],
});
const fmnist: ModelSpec = {
  arch: 'small-resnet',
  numClasses: 10,
  inputShape: [28, 28, 1],
  mean: [0.286],
  std: [0.353],
};

describe('buildModel / architectures', () => {
  it('lists every architecture and rejects unknown ones with a suggestion and the list', () => {
    expect(architectures.ids()).toEqual(
      expect.arrayContaining([
        'small-resnet',
        'resnet18',
        'resnet34',
        'resnet50',
        'preact-resnet18',
        'wrn-28-10',
        'wrn-34-10',
      ]),
    );
    expect(() => buildModel(cifar('resnet-18'), 0)).toThrow(
      /Unknown architecture 'resnet-18'\. Did you mean: resnet18/,
    );
    expect(() => buildModel(cifar('resnet-18'), 0)).toThrow(/Available: small-resnet, resnet18/);
    expect(() => buildModel({ ...fmnist, mean: [0.5, 0.5, 0.5] }, 0)).toThrow(
      /mean\/std need 1 channel values, got 3\/1/,
    );
    expect(() => buildModel({ ...fmnist, numClasses: 0 }, 0)).toThrow(/numClasses must be a positive integer/);
  });

  it('builds the same weights from the same seed, other weights from another seed', () => {
    const a = buildModel(fmnist, 5);
    const b = buildModel(fmnist, 5);
    const c = buildModel(fmnist, 6);
    const flat = (m: typeof a) => m.namedParameters().flatMap(([, v]) => Array.from(v.dataSync()));
    expect(flat(a)).toEqual(flat(b));
    expect(flat(a)).not.toEqual(flat(c));
    // Layers draw distinct seeds: two same-shaped convs differ.
    const w = (m: typeof a, n: string) =>
      Array.from(
        m
          .namedParameters()
          .find(([k]) => k === n)![1]
          .dataSync(),
      );
    expect(w(a, 'layer1.0.conv1.weight')).not.toEqual(w(a, 'layer1.0.conv2.weight'));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('the classifier contract', () => {
  // Every model is fully convolutional with global pooling, so the big ones run on one 16x16 image:
  // the same code path at a quarter of the cost on the pure-JS cpu backend.
  const small = (arch: string): ModelSpec => ({ ...cifar(arch, 7), inputShape: [16, 16, 3] });
  const cases: [ModelSpec, number, string][] = [
    [fmnist, 64, 'linear'],
    [cifar('small-resnet'), 64, 'linear'],
    [small('resnet18'), 512, 'linear'],
    [small('preact-resnet18'), 512, 'linear'],
    [small('wrn-28-4'), 256, 'fc'],
    [cifar('resnet50', 7), 2048, 'fc'],
  ];
  for (const [spec, dim, headName] of cases) {
    it(`${spec.arch} on ${spec.inputShape.join('x')}: features [N, ${dim}], logits [N, ${spec.numClasses}] from head '${headName}'`, () => {
      const m = buildModel(spec, 1).eval();
      const n = spec.arch === 'small-resnet' ? 3 : 1;
      const x = tf.randomUniform([n, ...spec.inputShape], 0, 1, 'float32', 2);
      const [feat, logits] = tf.tidy(() => {
        const f = m.features(x as tf.Tensor4D);
        return [f, m.head().forward(f)];
      });
      expect(feat.shape).toEqual([n, dim]);
      expect(logits.shape).toEqual([n, spec.numClasses]);
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
      expect(m.headName).toBe(headName);
      expect(m.head()).toBeInstanceOf(Linear);
      expect((m.head() as Linear).inFeatures).toBe(dim);
      expect(m.namedModules()[1][0]).toBe('normalize'); // the first module
      if (spec.arch === 'small-resnet') {
        const again = tf.tidy(() => m.forward(x));
        expect(Array.from(again.dataSync())).toEqual(Array.from(logits.dataSync())); // forward = head(features), deterministic in eval
        again.dispose();
      }
      tf.dispose([x, feat, logits]);
      m.dispose();
    });
  }

  it('normalisation lives inside the model: a [0,1] input equal to the mean gives the same as zeros after Normalize', () => {
    const spec: ModelSpec = { ...fmnist, inputShape: [8, 8, 1] };
    const m = buildModel(spec, 3).eval();
    const viaModel = tf.tidy(() => m.forward(tf.fill([1, 8, 8, 1], 0.286)));
    const direct = tf.tidy(() => {
      const c = (name: string) => m.child(name)!;
      let out = tf.relu(c('bn1').forward(c('conv1').forward(tf.zeros([1, 8, 8, 1]))));
      for (const l of ['layer1', 'layer2', 'layer3']) out = c(l).forward(out);
      return m.head().forward(c('pool').forward(out));
    });
    Array.from(viaModel.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(direct.dataSync()[i], 5));
    tf.dispose([viaModel, direct]);
    m.dispose();
  });
});

describe('block semantics that names and shapes cannot show', () => {
  // Fresh BNs in eval mode are the identity (mean 0, var 1, weight 1, bias 0), so on an all-negative
  // input the pre-activation relu(bn1(x)) is 0: a unit whose shortcut starts from it outputs 0, one
  // whose shortcut is the identity outputs x.
  const unitOutput = (arch: string, path: string[], shape: [number, number, number, number]) => {
    const m = buildModel(cifar(arch), 0).eval();
    let unit: Module = m;
    for (const p of path) unit = unit.child(p)!;
    const x = tf.fill(shape, -1);
    const y = tf.tidy(() => unit.forward(x));
    const out = Array.from(y.dataSync());
    tf.dispose([x, y]);
    m.dispose();
    return out;
  };

  it('WRN: a widening unit shortcuts from the pre-activated input, an equal unit from x', () => {
    expect(unitOutput('wrn-28-4', ['block1', 'layer', '0'], [1, 4, 4, 16]).every((v) => Math.abs(v) < 1e-5)).toBe(true);
    expect(unitOutput('wrn-28-4', ['block1', 'layer', '1'], [1, 4, 4, 64]).every((v) => Math.abs(v + 1) < 1e-5)).toBe(
      true,
    );
  });

  it('PreAct ResNet: the projection shortcut starts from the pre-activated input too', () => {
    expect(unitOutput('preact-resnet18', ['layer2', '0'], [1, 4, 4, 64]).every((v) => Math.abs(v) < 1e-5)).toBe(true);
    expect(unitOutput('preact-resnet18', ['layer1', '1'], [1, 4, 4, 64]).every((v) => Math.abs(v + 1) < 1e-5)).toBe(
      true,
    );
  });

  it('ResNet-50 is v1.5: the stride sits on the 3x3 conv2, not the 1x1 conv1', () => {
    const m = buildModel(cifar('resnet50'), 0);
    const conv = (name: string) => m.namedModules().find(([n]) => n === name)![1] as Conv2d;
    expect(conv('layer2.0.conv1').stride).toBe(1);
    expect(conv('layer2.0.conv2').stride).toBe(2);
    expect(conv('layer2.0.downsample.0').stride).toBe(2);
    expect(conv('conv1').padding).toBe(3);
    m.dispose();
  });
});
