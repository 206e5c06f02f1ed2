/**
 * The fused conv → eval BatchNorm → ReLU path (nn/conv-batch-norm.ts) gives the same bits as the three separate
 * kernels, through whole models (CIFAR ResNet-18 and the ImageNet ResNet-50's bottlenecks, narrow so the test is
 * quick), with im2col and with Winograd; it is taken only where no gradient is recorded, and it leaks no tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import type { ModelSpec } from '../../../../harness/foundation/models/classifier.ts';
import { setConvBatchNormFusion } from '../../../../harness/foundation/nn/conv-batch-norm.ts';
import { crossEntropy } from '../../../../harness/foundation/nn/losses.ts';
import {
  CONV2D_BATCH_NORM,
  RELU_BATCH_NORM_GRAD,
} from '../../../../harness/foundation/tensor/kernels/fused-kernel-names.ts';
import { batchNormInputGrad } from '../../../../harness/foundation/tensor/gradients/fused-batch-norm-grad.ts';
import {
  defaultConvAlgorithm,
  nativeKernels,
  setConvAlgorithm,
  setNativeKernelsEnabled,
} from '../../../../harness/foundation/tensor/native/native-kernels.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';

const SPECS: Record<string, ModelSpec> = {
  'resnet18 (stem 16)': {
    arch: 'resnet18',
    width: 16,
    numClasses: 10,
    inputShape: [16, 16, 3],
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
  },
  'resnet50 (stem 8)': {
    arch: 'resnet50',
    width: 8,
    numClasses: 7,
    inputShape: [32, 32, 3],
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
};

beforeAll(async () => {
  await useBackend('wasm');
});
afterAll(async () => {
  setConvBatchNormFusion(true);
  setConvAlgorithm(defaultConvAlgorithm());
  await releaseBackend();
});

/** Kernel names one eval forward ran. */
async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => {
    f().dispose();
  });
  return info.kernels.map((k) => k.name);
}

describe.runIf(nativeKernels())('fused conv + BatchNorm + ReLU', () => {
  for (const [name, spec] of Object.entries(SPECS)) {
    for (const algorithm of ['im2col', 'winograd', 'direct', 'auto'] as const) {
      it(`${name}, ${algorithm}: same logits to the bit as the separate kernels`, async () => {
        setConvAlgorithm(algorithm);
        const model = buildModel(spec, 3);
        // Running statistics and affine away from 0 and 1, so no BatchNorm is an identity.
        tf.tidy(() => {
          for (const [key, v] of [...model.namedBuffers(), ...model.namedParameters()]) {
            if (key.endsWith('running_var')) v.assign(tf.randomUniform(v.shape, 0.5, 2, 'float32', 1));
            if (key.endsWith('running_mean')) v.assign(tf.randomUniform(v.shape, -0.2, 0.2, 'float32', 2));
          }
        });
        model.eval();
        const x = tf.randomUniform([3, ...spec.inputShape], 0, 1, 'float32', 5);
        try {
          setConvBatchNormFusion(false);
          const separate = tf.tidy(() => model.forward(x).dataSync());
          expect(await kernelsOf(() => model.forward(x))).not.toContain(CONV2D_BATCH_NORM);
          setConvBatchNormFusion(true);
          const fused = tf.tidy(() => model.forward(x).dataSync());
          const fusedKernels = await kernelsOf(() => model.forward(x));
          expect(fusedKernels).toContain(CONV2D_BATCH_NORM);
          // Every ReLU (stem, blocks, after each residual) is inside a fused kernel.
          expect(fusedKernels).not.toContain('Relu');
          expect(Array.from(fused)).toEqual(Array.from(separate));
          // No tensor left behind by the fused kernel's temporaries.
          const before = tf.memory().numTensors;
          for (let i = 0; i < 3; i++)
            tf.tidy(() => {
              model.forward(x);
            });
          expect(tf.memory().numTensors).toBe(before);
        } finally {
          x.dispose();
          model.dispose();
        }
      });
    }
  }

  it("under a tape the fused kernel runs, and every gradient is the same bits as the separate kernels' chain", async () => {
    const model = buildModel(SPECS['resnet18 (stem 16)'], 3);
    tf.tidy(() => {
      for (const [key, v] of [...model.namedBuffers(), ...model.namedParameters()]) {
        if (key.endsWith('running_var')) v.assign(tf.randomUniform(v.shape, 0.5, 2, 'float32', 1));
        if (key.endsWith('running_mean')) v.assign(tf.randomUniform(v.shape, -0.2, 0.2, 'float32', 2));
      }
    });
    model.eval();
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 6);
    const labels = tf.tensor1d([1, 4], 'int32');
    // A PGD step's gradient (input only), then a fine-tuning step's with BatchNorm frozen (every parameter).
    const inputGrad = () => tf.grad((z: tf.Tensor) => crossEntropy(model.forward(z), labels))(x);
    const params = [...model.namedParameters()].map(([, v]) => v);
    const paramGrads = () => tf.variableGrads(() => crossEntropy(model.forward(x), labels) as tf.Scalar, params).grads;
    try {
      setConvBatchNormFusion(false);
      const separate = await kernelsOf(inputGrad);
      expect(separate).not.toContain(CONV2D_BATCH_NORM);
      const dxSeparate = tf.tidy(() => inputGrad().dataSync());
      const dwSeparate = tf.tidy(() => Object.values(paramGrads()).map((g) => Array.from(g.dataSync())));
      setConvBatchNormFusion(true);
      const fused = await kernelsOf(inputGrad);
      expect(fused).toContain(CONV2D_BATCH_NORM);
      expect(fused).toContain('Conv2DBackpropInput');
      expect(fused).toContain(RELU_BATCH_NORM_GRAD);
      // Only the input's gradient was asked for: no filter gradient, no recomputed convolution.
      expect(fused).not.toContain('Conv2DBackpropFilter');
      expect(tf.tidy(() => Array.from(inputGrad().dataSync()))).toEqual(Array.from(dxSeparate));
      const dwFused = tf.tidy(() => Object.values(paramGrads()).map((g) => Array.from(g.dataSync())));
      expect(dwFused.length).toBe(params.length);
      expect(dwFused).toEqual(dwSeparate);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.dispose(inputGrad());
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      setConvBatchNormFusion(true);
      tf.dispose([x, labels]);
      model.dispose();
    }
  });

  it("ReLU and BatchNorm gradients in one pass: the bits of tf.relu's mask then batchNormInputGrad", () => {
    // y with zeros (also -0) and negatives, dy with both signs (dy·0 is -0 for negative dy).
    const y = tf.tensor4d([0, -1, 2, 1e-30, 0.5, 0, -0, 3], [1, 2, 2, 2]);
    const dy = tf.tensor4d([-1.5, 2, -3, 4, 0.25, -0.75, 1, -2], [1, 2, 2, 2]);
    const variance = tf.tensor1d([0.7, 1.9]);
    const scale = tf.tensor1d([1.3, -0.4]);
    try {
      const chain = tf.tidy(() => batchNormInputGrad(tf.mul(dy, tf.step(y)), tf.zeros([2]), variance, scale, 1e-5));
      const one = tf.engine().runKernel(RELU_BATCH_NORM_GRAD, { dy, y, variance, scale }, { varianceEpsilon: 1e-5 });
      const bits = (t: tf.Tensor) => Array.from(new Uint32Array(t.dataSync().slice().buffer));
      expect(bits(one as tf.Tensor)).toEqual(bits(chain));
      // Without the native kernels it runs the chain's kernels itself.
      setNativeKernelsEnabled(false);
      const wasm = tf.engine().runKernel(RELU_BATCH_NORM_GRAD, { dy, y, variance, scale }, { varianceEpsilon: 1e-5 });
      setNativeKernelsEnabled(true);
      expect(bits(wasm as tf.Tensor)).toEqual(bits(chain));
      tf.dispose(wasm as tf.Tensor);
      // A NaN stays NaN (the chain's XNNPACK clamp turns it into -inf: both mark a diverged step).
      const nan = tf.tensor4d([Number.NaN, 1], [1, 1, 1, 2]);
      const out = tf.engine().runKernel(
        RELU_BATCH_NORM_GRAD,
        { dy: tf.onesLike(nan), y: nan, variance, scale },
        {
          varianceEpsilon: 1e-5,
        },
      ) as tf.Tensor;
      expect(Number.isNaN(out.dataSync()[0])).toBe(true);
      tf.dispose([chain, one as tf.Tensor, nan, out]);
    } finally {
      tf.dispose([y, dy, variance, scale]);
    }
  });

  for (const name of Object.keys(SPECS))
    it(`${name}, training mode: the BatchNorm kernels take residual and ReLU, same bits as the separate ops`, async () => {
      const model = buildModel(SPECS[name], 3);
      model.train();
      const [n, h, w, c] = [4, ...SPECS[name].inputShape];
      const x = tf.randomUniform([n, h, w, c], 0, 1, 'float32', 7);
      const labels = tf.tensor1d([1, 4, 0, 6], 'int32');
      const params = [...model.namedParameters()].map(([, v]) => v);
      // Logits, the input's and every parameter's gradient, and the running statistics the step moved.
      const step = () =>
        tf.tidy(() => {
          const logits: tf.Tensor[] = [];
          const dx = tf.grad((z: tf.Tensor) => {
            const out = model.forward(z);
            logits.push(tf.keep(out));
            return crossEntropy(out, labels);
          })(x);
          const { grads } = tf.variableGrads(() => crossEntropy(model.forward(x), labels) as tf.Scalar, params);
          const stats = [...model.namedBuffers()].filter(([k]) => k.startsWith('layer')).map(([, v]) => v);
          const values = [logits[0], dx, ...Object.values(grads), ...stats].map((t) => Array.from(t.dataSync()));
          logits[0].dispose();
          return values;
        });
      const snapshot = tf.tidy(() => [...model.namedBuffers()].map(([, v]) => tf.keep(v.clone())));
      const restore = () => [...model.namedBuffers()].forEach(([, v], i) => v.assign(snapshot[i]));
      try {
        setConvBatchNormFusion(false);
        const separateKernels = await kernelsOf(() => model.forward(x));
        restore();
        const separate = step();
        restore();
        setConvBatchNormFusion(true);
        const fusedKernels = await kernelsOf(() => model.forward(x));
        restore();
        const fused = step();
        expect(separateKernels.filter((k) => k === 'Relu').length).toBeGreaterThan(0);
        expect(fusedKernels).not.toContain('Relu');
        expect(fusedKernels).not.toContain(CONV2D_BATCH_NORM);
        expect(fused.length).toBe(separate.length);
        fused.forEach((values, i) => expect(values, `output ${i}`).toEqual(separate[i]));
        const before = tf.memory().numTensors;
        for (let i = 0; i < 2; i++) step();
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        setConvBatchNormFusion(true);
        tf.dispose([x, labels, ...snapshot]);
        model.dispose();
      }
    });
});
