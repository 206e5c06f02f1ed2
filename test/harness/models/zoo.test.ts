import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, listArchs } from '../../../harness/models/zoo.ts';
import type { ModelSpec } from '../../../harness/models/classifier.ts';
import { crossEntropy } from '../../../harness/nn/losses.ts';
import { sgd } from '../../../harness/train/optimizer.ts';
import { useCpuBackend } from '../../support/tf.ts';

beforeAll(useCpuBackend);

const cifar = (arch: string, numClasses = 10): ModelSpec => ({ arch, numClasses, inputShape: [32, 32, 3], mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] });

describe('model zoo', () => {
  it('CIFAR ResNet-18 has kuangliu/pytorch-cifar names, shapes and 11,173,962 parameters', () => {
    const m = buildModel(cifar('resnet18'), 0);
    const state = m.stateDict();
    // 62 parameter tensors + 3 buffers for each of 20 BatchNorms = 122 keys, as PyTorch's state_dict.
    expect(Object.keys(state)).toHaveLength(122);
    expect(m.numParameters()).toBe(11_173_962);
    expect(state['conv1.weight'].shape).toEqual([3, 3, 3, 64]); // HWIO here, OIHW [64,3,3,3] on disk
    expect(state['layer2.0.shortcut.0.weight'].shape).toEqual([1, 1, 64, 128]);
    expect(state['layer2.0.shortcut.1.running_var'].shape).toEqual([128]);
    expect(state['layer4.1.bn2.num_batches_tracked'].dtype).toBe('int32');
    expect(state['linear.weight'].shape).toEqual([512, 10]);
    expect(Object.keys(state)).not.toContain('layer1.0.shortcut.0.weight'); // identity shortcut has no parameters
    expect(m.blocks()).toHaveLength(10);
    tf.dispose(state);
    m.dispose();
  });

  it('builds the same weights from the same seed, and rejects unknown archs with a suggestion', () => {
    const a = buildModel(cifar('small-resnet'), 5);
    const b = buildModel(cifar('small-resnet'), 5);
    expect(Array.from(a.namedParameters()[0][1].dataSync())).toEqual(Array.from(b.namedParameters()[0][1].dataSync()));
    a.dispose();
    b.dispose();
    expect(() => buildModel(cifar('resnet-18'), 0)).toThrow(/Unknown architecture 'resnet-18'\. Did you mean: resnet18/);
    expect(listArchs()).toContain('small-resnet');
  });

  it('gradients of a small net agree with central finite differences', () => {
    const spec: ModelSpec = { arch: 'small-resnet', numClasses: 3, inputShape: [6, 6, 1], mean: [0.5], std: [0.25] };
    const m = buildModel(spec, 2).train();
    const x = tf.randomUniform([4, 6, 6, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    // Finite differences in float32 need BN in eval mode (batch statistics make the loss non-local).
    m.eval();
    const [name, w] = m.namedParameters().find(([n]) => n === 'layer2.0.conv1.weight')!;
    const loss = () => tf.tidy(() => crossEntropy(m.forward(x), y).dataSync()[0]);
    const { grads } = tf.variableGrads(() => crossEntropy(m.forward(x), y), [w]);
    const analytic = grads[w.name].dataSync();
    const values = w.dataSync().slice();
    const h = 1e-2;
    let checked = 0;
    for (const i of [0, 7, 31, 100, 200]) {
      const at = (v: number) => {
        values[i] = v;
        w.assign(tf.tensor(values, w.shape));
        return loss();
      };
      const orig = values[i];
      const numeric = (at(orig + h) - at(orig - h)) / (2 * h);
      at(orig);
      expect(Math.abs(numeric - analytic[i]), `${name}[${i}]`).toBeLessThan(2e-2 * Math.max(1e-2, Math.abs(analytic[i])) + 2e-3);
      checked++;
    }
    expect(checked).toBe(5);
    tf.dispose([x, y, grads[w.name]]);
    m.dispose();
  });

  it('keeps tf.memory().numTensors constant across training steps (BN running stats and momentum included)', () => {
    const spec: ModelSpec = { arch: 'small-resnet', numClasses: 3, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] };
    const m = buildModel(spec, 1);
    const opt = sgd(m, { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
    const x = tf.randomUniform([6, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const step = () => opt.minimize(() => crossEntropy(m.train().forward(x), y));
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 5; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first); // and it learns
    opt.dispose();
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('reference architectures: names and parameter counts', () => {
  const count = (arch: string, spec: ModelSpec) => {
    const m = buildModel(spec, 0);
    const keys = Object.keys(Object.fromEntries([...m.namedParameters(), ...m.namedBuffers()]));
    const n = m.numParameters();
    const blocks = m.blocks().length;
    m.dispose();
    return { keys, n, blocks, arch };
  };

  it('torchvision ResNet-50: 25,557,032 parameters, 320 state-dict keys, downsample names', () => {
    const r = count('resnet50', { arch: 'resnet50', numClasses: 1000, inputShape: [64, 64, 3], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(r.n).toBe(25_557_032);
    expect(r.keys).toHaveLength(320);
    expect(r.keys).toContain('layer1.0.downsample.0.weight');
    expect(r.keys).toContain('layer4.2.conv3.weight');
    expect(r.keys).toContain('fc.bias');
  });

  it('RobustBench WRN-34-10: 46,160,474 parameters, convShortcut names, CARTL split of 17 blocks', () => {
    const r = count('wrn-34-10', cifar('wrn-34-10'));
    expect(r.n).toBe(46_160_474);
    expect(r.keys).toContain('block1.layer.0.convShortcut.weight');
    expect(r.keys).toContain('block3.layer.4.bn2.running_var');
    expect(r.keys).not.toContain('block1.layer.1.convShortcut.weight');
    expect(r.blocks).toBe(17);
  });

  it('PreAct ResNet-18: 11,172,170 parameters; CIFAR ResNet-34 names', () => {
    const r = count('preact-resnet18', cifar('preact-resnet18'));
    // Same convs and linear as ResNet-18 (11,173,962); BatchNorm affine: 7,808 here vs 9,600 there.
    expect(r.n).toBe(11_172_170);
    expect(r.keys).toContain('layer2.0.shortcut.0.weight');
    expect(r.keys).toContain('bn.running_mean');
    const r34 = count('resnet34', cifar('resnet34'));
    expect(r34.n).toBe(21_282_122);
    expect(r34.keys).toContain('layer3.5.conv2.weight');
  });

  it('each model runs forward to [N, classes] from [0,1] inputs', () => {
    for (const arch of ['preact-resnet18', 'wrn-28-4', 'resnet50']) {
      const spec = cifar(arch, 7);
      const m = buildModel(spec, 1).eval();
      const y = tf.tidy(() => m.forward(tf.zeros([1, 32, 32, 3])));
      expect(y.shape).toEqual([1, 7]);
      y.dispose();
      m.dispose();
    }
  });
});
