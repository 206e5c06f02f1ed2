/**
 * @module Timings of the kernels rftbench registers on wasm, stock beside ours where a stock kernel
 * exists and our pure-wasm kernel beside the native one where that runs, on the layer shapes of the 4-block conv/BN CNN of docs/backend.md (32, 64, 128, 128 channels,
 * batch 128, 32x32x3), and that CNN's training-step and PGD-step throughput. `rftbench bench` prints
 * the kernel rows; `npx tsx harness/foundation/tensor/bench-kernels.ts` prints both.
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { initBackend, shutdownBackend } from './backend.ts';
import { stockKernel } from './kernels/wasm-internals.ts';
import {
  defaultConvAlgorithm,
  nativeKernels,
  setConvAlgorithm,
  setNativeKernelsEnabled,
} from './native/native-kernels.ts';

export interface KernelRow {
  backend: string;
  kernel: string;
  layer: string;
  /** Mean ms per call of our kernel (or of the only one there is). */
  msPerCall: number;
  /** The stock wasm kernel's, where there is one. */
  stockMsPerCall?: number;
  /** Our pure-wasm kernel's, where ours is the native one (convolutions with OpenBLAS built). */
  wasmMsPerCall?: number;
  /** The native im2col kernel's, where ours may be Winograd or direct (convKernel decides). */
  im2colMsPerCall?: number;
}

/**
 * The small ResNet's 16-channel layer at batch 128, the CNN's convolutions at batch 128, then ResNet-18's 3x3
 * stride-1 ones at batch 32: [x, filter, stride].
 */
const LAYERS: [[number, number, number, number], [number, number, number, number], number][] = [
  [[128, 28, 28, 16], [3, 3, 16, 16], 1],
  [[128, 32, 32, 3], [3, 3, 3, 32], 1],
  [[128, 32, 32, 32], [3, 3, 32, 64], 2],
  [[128, 16, 16, 64], [3, 3, 64, 128], 2],
  [[128, 8, 8, 128], [3, 3, 128, 128], 2],
  [[32, 32, 32, 64], [3, 3, 64, 64], 1],
  [[32, 16, 16, 128], [3, 3, 128, 128], 1],
  [[32, 8, 8, 256], [3, 3, 256, 256], 1],
  [[32, 4, 4, 512], [3, 3, 512, 512], 1],
];

interface Case {
  kernel: string;
  layer: string;
  inputs: tf.NamedTensorMap;
  attrs: tf.NamedAttrMap;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [xShape, fShape, stride] of LAYERS) {
    const x = tf.randomUniform(xShape, -1, 1, 'float32', 1);
    const filter = tf.randomUniform(fShape, -0.1, 0.1, 'float32', 2);
    const dy = tf.tidy(() =>
      tf.randomUniform(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, stride, 1).shape, -1, 1, 'float32', 3),
    );
    const layer = `${xShape.join('x')} -> ${fShape[3]} ${stride > 1 ? `s${stride}` : '3x3'}`;
    const attrs = { strides: stride, pad: 1, dataFormat: 'NHWC' };
    out.push({ kernel: 'Conv2D', layer, inputs: { x, filter }, attrs: { ...attrs, dilations: [1, 1] } });
    out.push({ kernel: 'Conv2DBackpropFilter', layer, inputs: { x, dy }, attrs: { ...attrs, filterShape: fShape } });
    out.push({ kernel: 'Conv2DBackpropInput', layer, inputs: { dy, filter }, attrs: { ...attrs, inputShape: xShape } });
  }
  // BatchNorm on the first block's activations: statistics, its gradient's Tile, eval-mode normalisation.
  const act = tf.randomUniform([128, 32, 32, 32], -1, 1, 'float32', 4);
  const c = tf.randomUniform([32], 0.5, 1.5, 'float32', 5);
  const layer = '128x32x32x32';
  out.push({ kernel: 'Mean', layer, inputs: { x: act }, attrs: { axis: [0, 1, 2], keepDims: false } });
  out.push({ kernel: 'Tile', layer, inputs: { x: tf.reshape(c, [1, 1, 1, 32]) }, attrs: { reps: [128, 32, 32, 1] } });
  out.push({
    kernel: 'FusedBatchNorm',
    layer,
    inputs: { x: act, mean: c, variance: c, offset: c, scale: c },
    attrs: { varianceEpsilon: 1e-5 },
  });
  return out;
}

/** The stock kernel as a callable, or undefined when wasm has none (or we replace nothing). */
function stock(name: string): ((c: Case) => void) | undefined {
  let config;
  try {
    config = stockKernel(name);
  } catch {
    return undefined;
  }
  return (c) => {
    const backend = tf.backend();
    const inputs = Object.fromEntries(
      Object.entries(c.inputs).map(([k, t]) => [k, { dataId: t.dataId, shape: t.shape, dtype: t.dtype }]),
    );
    const out = config.kernelFunc({ inputs, backend, attrs: c.attrs });
    for (const t of Array.isArray(out) ? out : [out]) backend.disposeData(t.dataId);
  };
}

async function meanMs(name: string, fn: () => void, time: number): Promise<number> {
  const bench = new Bench({
    name,
    time,
    warmup: true,
    warmupIterations: 1,
    warmupTime: 0,
    iterations: 2,
    throws: true,
  });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0].result;
  return r.state === 'completed' ? Number(r.latency.mean.toFixed(2)) : NaN;
}

/** Times each registered kernel (and the stock one it replaces) on the CNN's shapes; call on wasm. */
export async function benchKernels(time = 1000): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  const all = cases();
  for (const c of all) {
    const run = () => (tf.engine().runKernel(c.kernel, c.inputs, c.attrs) as tf.Tensor).dispose();
    const ours = await meanMs(c.kernel, run, time);
    const stockFn = tf.getBackend() === 'wasm' ? stock(c.kernel) : undefined;
    const stockMs = stockFn ? await meanMs(`stock ${c.kernel}`, () => stockFn(c), time) : undefined;
    let wasmMs: number | undefined;
    let im2colMs: number | undefined;
    if (tf.getBackend() === 'wasm' && c.kernel.startsWith('Conv2D') && nativeKernels()) {
      setNativeKernelsEnabled(false);
      try {
        wasmMs = await meanMs(`wasm ${c.kernel}`, run, time);
      } finally {
        setNativeKernelsEnabled(true);
      }
      if (c.kernel !== 'Conv2DBackpropFilter') {
        setConvAlgorithm('im2col');
        try {
          im2colMs = await meanMs(`im2col ${c.kernel}`, run, time);
        } finally {
          setConvAlgorithm(defaultConvAlgorithm());
        }
      }
    }
    rows.push({
      backend: tf.getBackend(),
      kernel: c.kernel,
      layer: c.layer,
      msPerCall: ours,
      ...(stockMs === undefined ? {} : { stockMsPerCall: stockMs }),
      ...(wasmMs === undefined ? {} : { wasmMsPerCall: wasmMs }),
      ...(im2colMs === undefined ? {} : { im2colMsPerCall: im2colMs }),
    });
  }
  tf.dispose(all.flatMap((c) => Object.values(c.inputs)));
  return rows;
}

export interface CnnThroughput {
  backend: string;
  batch: number;
  trainImagesPerSecond: number;
  pgdImagesPerSecond: number;
}

/**
 * Training-step (forward, backward, SGD update) and PGD-step (input gradient in eval mode) images per
 * second of the 4-block CNN, written with plain tfjs ops: conv3x3 (no bias) - BatchNorm - ReLU, global
 * average pool, dense 10, softmax cross-entropy.
 */
export async function benchCnnStep(batch = 128, time = 5000): Promise<CnnThroughput> {
  const params: tf.Variable[] = [];
  const blocks = [32, 64, 128, 128].map((co, i, all) => {
    const ci = i === 0 ? 3 : all[i - 1];
    const bound = 1 / Math.sqrt(9 * ci);
    const w = tf.variable(tf.randomUniform([3, 3, ci, co], -bound, bound, 'float32', 10 + i));
    const gamma = tf.variable(tf.ones([co]));
    const beta = tf.variable(tf.zeros([co]));
    params.push(w, gamma, beta);
    return { w, gamma, beta, stride: i === 0 ? 1 : 2, mean: tf.zeros([co]), variance: tf.ones([co]) };
  });
  const dense = tf.variable(tf.randomUniform([128, 10], -0.09, 0.09, 'float32', 20));
  params.push(dense);
  const forward = (x: tf.Tensor4D, training: boolean): tf.Tensor2D => {
    let h = x;
    for (const b of blocks) {
      h = tf.conv2d(h, b.w as tf.Tensor4D, b.stride, 1);
      const stats = training ? tf.moments(h, [0, 1, 2]) : { mean: b.mean, variance: b.variance };
      h = tf.relu(
        tf.batchNorm(
          h,
          stats.mean as tf.Tensor1D,
          stats.variance as tf.Tensor1D,
          b.beta as tf.Tensor1D,
          b.gamma as tf.Tensor1D,
          1e-5,
        ),
      );
    }
    return tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, dense as tf.Tensor2D);
  };
  const x = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 10),
      'int32',
    ),
    10,
  );
  const loss = (logits: tf.Tensor2D) => tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
  const train = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => loss(forward(x, true)), params);
      for (const p of params) p.assign(tf.sub(p, tf.mul(grads[p.name], 0.01)));
    });
  const pgdStep = () =>
    tf.tidy(() => {
      const g = tf.grad((z: tf.Tensor) => loss(forward(z as tf.Tensor4D, false)))(x);
      tf.clipByValue(tf.add(x, tf.mul(tf.sign(g), 2 / 255)), 0, 1).dataSync();
    });
  const trainMs = await meanMs('train step', train, time);
  const pgdMs = await meanMs('PGD step', pgdStep, time);
  tf.dispose([...params, x, y, ...blocks.flatMap((b) => [b.mean, b.variance])]);
  return {
    backend: tf.getBackend(),
    batch,
    trainImagesPerSecond: Math.round((batch * 1000) / trainMs),
    pgdImagesPerSecond: Math.round((batch * 1000) / pgdMs),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const info = await initBackend();
  console.error(`${info.name}, ${info.threads} threads, kernels: ${info.customKernels.join(', ')}`);
  console.table(await benchKernels());
  console.table([await benchCnnStep()]);
  await shutdownBackend();
}
