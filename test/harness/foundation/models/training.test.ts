import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { gradStep } from '../../../../harness/foundation/nn/grad.ts';
import { type BatchNorm2d, Conv2d, Linear } from '../../../../harness/foundation/nn/layers.ts';
import { crossEntropy } from '../../../../harness/foundation/nn/losses.ts';
import { SGD } from '../../../../harness/foundation/nn/optim.ts';
import { useCpuBackend } from '../../../support/tf.ts';
import { expectGradClose, numericGrad, value } from '../nn/finite-diff.ts';

beforeAll(useCpuBackend);

// Tiny spatial sizes: tfjs's cpu Conv2DBackpropFilter is ~60x slower than its forward conv.
const tiny: ModelSpec = { arch: 'small-resnet', numClasses: 3, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] };

describe('training small-resnet', () => {
  it('keeps tf.memory().numTensors constant across steps (BN running stats and SGD momentum included), and learns', () => {
    const m = buildModel(tiny, 1).train();
    const opt = new SGD(m.trainableParameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true });
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 1);
    const y = tf.tensor1d([0, 1, 2, 0], 'int32');
    const step = () => {
      const { loss, grads } = tf.tidy(() => gradStep(m, () => crossEntropy(m.forward(x), y)));
      opt.step(grads);
      const v = loss.dataSync()[0];
      tf.dispose([loss, grads]);
      return v;
    };
    const first = step(); // warm-up: creates the momentum buffers
    const before = tf.memory().numTensors;
    const losses = [step(), step(), step()];
    expect(tf.memory().numTensors).toBe(before);
    expect(losses[2]).toBeLessThan(first);
    const bn = m.child('bn1') as BatchNorm2d;
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(4);
    expect(Array.from(bn.runningMean.dataSync()).some((v) => v !== 0)).toBe(true);
    opt.dispose();
    tf.dispose([x, y]);
    m.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });

  it('whole-model gradients agree with central finite differences (eval-mode BN)', () => {
    const m = buildModel({ ...tiny, inputShape: [6, 6, 1] }, 2).eval();
    const x = tf.randomUniform([4, 6, 6, 1], 0, 1, 'float32', 3);
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    const loss = () => crossEntropy(m.forward(x), y);
    const { loss: l, grads } = tf.tidy(() => gradStep(m, loss));
    const params = new Map(m.namedParameters());
    for (const name of [
      'conv1.weight',
      'layer2.0.conv1.weight',
      'layer2.0.shortcut.0.weight',
      'layer3.0.bn2.weight',
      'linear.weight',
    ]) {
      const v = params.get(name)!;
      const idx = [0, 7, 31, 100, v.size - 1].filter((i) => i < v.size);
      expectGradClose(name, numericGrad(value(loss), v, idx, 1e-2), grads[name].dataSync(), idx, 2e-2, 2e-3);
    }
    tf.dispose([l, grads, x, y]);
    m.dispose();
  });

  it('costs under 25 M multiply-adds per 28x28 image (9.35 M), 12.5 M at 32x32x3', () => {
    const macsPerImage = (spec: ModelSpec) => {
      let macs = 0;
      const conv = Conv2d.prototype.forward;
      const lin = Linear.prototype.forward;
      Conv2d.prototype.forward = function (this: Conv2d, x: tf.Tensor) {
        const out = conv.call(this, x);
        macs += (out.size / out.shape[0]) * this.inChannels * this.kernelSize ** 2;
        return out;
      };
      Linear.prototype.forward = function (this: Linear, x: tf.Tensor) {
        macs += this.inFeatures * this.outFeatures;
        return lin.call(this, x);
      };
      const m = buildModel(spec, 0).eval();
      try {
        tf.tidy(() => m.forward(tf.zeros([1, ...spec.inputShape])));
      } finally {
        Conv2d.prototype.forward = conv;
        Linear.prototype.forward = lin;
        m.dispose();
      }
      return macs;
    };
    expect(macsPerImage({ ...tiny, numClasses: 10, inputShape: [28, 28, 1] })).toBe(9_345_920);
    expect(
      macsPerImage({ arch: 'small-resnet', numClasses: 10, inputShape: [32, 32, 3], mean: [0, 0, 0], std: [1, 1, 1] }),
    ).toBe(12_501_632);
  });
});
