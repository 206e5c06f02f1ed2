/**
 * The native SGD step (harness/foundation/tensor/kernels/sgd-step.ts) against SGD's composite of tfjs ops on the same
 * backend: every option torch.optim.SGD has, over three steps (the first momentum step starts the buffer), must
 * give the same bits for the parameters and the momentum buffers, run the fused kernel, and leak nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SGD, type SgdOptions } from '../../../../harness/foundation/nn/optim.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { SGD_STEP } from '../../../../harness/foundation/tensor/kernels/sgd-step.ts';
import { nativeKernels, setNativeKernelsEnabled } from '../../../../harness/foundation/tensor/native/native-kernels.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import { randomTensor } from './compare.ts';

beforeAll(() => useBackend('wasm'));
afterEach(() => setNativeKernelsEnabled(true));
afterAll(releaseBackend);

// A conv filter (large enough to split over threads), a bias, and a scalar-like parameter.
const SHAPES = [[3, 3, 16, 32], [32], [1]];

/** Parameters and momentum buffers after three steps of `options`, all from seed 7. */
function run(options: SgdOptions): { params: Float32Array[]; buffers: Float32Array[] } {
  const rng = new Rng(7);
  const params = SHAPES.map((s, i) => [`p${i}`, tf.variable(tf.tensor(randomTensor(s, rng).values, s))] as const);
  const grads = [0, 1, 2].map(() => SHAPES.map((s) => randomTensor(s, rng, -3, 3).values));
  const opt = new SGD(params, options);
  for (const step of grads)
    tf.tidy(() => opt.step(Object.fromEntries(step.map((g, i) => [`p${i}`, tf.tensor(g, SHAPES[i])]))));
  const out = {
    params: params.map(([, v]) => v.dataSync() as Float32Array),
    buffers: Object.values(opt.state().tensors).map((t) => t.dataSync() as Float32Array),
  };
  opt.dispose();
  for (const [, v] of params) v.dispose();
  return out;
}

const OPTIONS: SgdOptions[] = [
  { lr: 0.1 },
  { lr: 0.05, weightDecay: 5e-4 },
  { lr: 0.01, momentum: 0.9 },
  { lr: 0.01, momentum: 0.9, dampening: 0.3, weightDecay: 1e-3 },
  { lr: 0.02, momentum: 0.8, nesterov: true, weightDecay: 5e-4 },
  { lr: 0.003, momentum: 0.9, weightDecay: 2e-4, maximize: true },
];

describe.runIf(nativeKernels())('SGD step on the native kernel', () => {
  for (const options of OPTIONS)
    it(`${JSON.stringify(options)}: the same bits as the composite`, () => {
      const fused = run(options);
      setNativeKernelsEnabled(false);
      const composite = run(options);
      expect(fused.buffers.length).toBe(options.momentum ? SHAPES.length : 0);
      fused.params.forEach((p, i) => expect(Buffer.from(p.buffer)).toEqual(Buffer.from(composite.params[i].buffer)));
      fused.buffers.forEach((b, i) => expect(Buffer.from(b.buffer)).toEqual(Buffer.from(composite.buffers[i].buffer)));
      // The parameters moved (the comparison is not between two untouched copies).
      const start = randomTensor(SHAPES[0], new Rng(7)).values;
      expect(fused.params[0].some((v, i) => v !== start[i])).toBe(true);
    });

  it('runs as one kernel per parameter and leaks no tensors across steps', async () => {
    const w = tf.variable(tf.ones([64, 64]));
    const opt = new SGD([['w', w]], { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
    const step = () => tf.tidy(() => opt.step({ w: tf.fill([64, 64], 0.5) }));
    step();
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => step());
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    expect(profile.kernels.map((k) => k.name)).toEqual(['Fill', SGD_STEP]);
    opt.dispose();
    w.dispose();
  });

  it('names the input whose dtype or shape is wrong', () => {
    const w = tf.zeros([4]);
    const grad = tf.zeros([5]);
    const attrs = { weightDecay: 0, momentum: 0, dampening: 0, lr: 0.1, nesterov: false, maximize: false };
    expect(() => tf.engine().runKernel(SGD_STEP, { w, grad }, attrs)).toThrow(
      /grad must be float32 of w's shape \[4\]/,
    );
    tf.dispose([w, grad]);
  });
});
