/**
 * @module FusedBatchNorm (tf.batchNorm: BatchNorm in eval mode, so every PGD step and evaluation) for
 * the wasm backend. The stock kernel is a scalar C++ loop: 22 ms on [128,32,32,32]. With per-channel
 * statistics it is y = x·a + c, a = scale/√(var+ε), c = offset − mean·a: a 1x1 depthwise convolution
 * with bias, which XNNPACK runs in 3 ms. Other shapes of the statistics go to the stock kernel.
 */
import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { call, stockKernel, stockSetup, Temps, type WasmBackend } from './wasm-internals.ts';

/** Values of a per-channel parameter (size C or 1), or undefined when it has another size. */
function perChannel(
  b: WasmBackend,
  t: TensorInfo | undefined,
  channels: number,
  fallback: number,
): ((c: number) => number) | undefined {
  if (!t) return () => fallback;
  const size = util.sizeFromShape(t.shape);
  if (t.dtype !== 'float32' || (size !== channels && size !== 1)) return undefined;
  const v = Float64Array.from(b.typedArrayFromHeap(t));
  return size === 1 ? () => v[0] : (c) => v[c];
}

/**
 * Eval-mode BatchNorm as y = x·a + c per channel: a = scale/√(var+ε) and c = offset − mean·a, each formed in
 * double and rounded to float32 once, written into two [C] tensors the caller owns. Undefined when a statistic
 * is not per-channel float32 (the caller hands the call to the stock kernel).
 */
export function batchNormAffine(
  b: WasmBackend,
  temps: Temps,
  inputs: { mean?: TensorInfo; variance?: TensorInfo; offset?: TensorInfo; scale?: TensorInfo },
  channels: number,
  varianceEpsilon: number,
): { scale: TensorInfo; shift: TensorInfo } | undefined {
  const m = perChannel(b, inputs.mean, channels, 0);
  const v = perChannel(b, inputs.variance, channels, 1);
  const o = perChannel(b, inputs.offset, channels, 0);
  const s = perChannel(b, inputs.scale, channels, 1);
  if (!m || !v || !o || !s) return undefined;
  const scale = temps.add(b.makeOutput([channels], 'float32'));
  const shift = temps.add(b.makeOutput([channels], 'float32'));
  const a = b.typedArrayFromHeap(scale);
  const c = b.typedArrayFromHeap(shift);
  for (let i = 0; i < channels; i++) {
    a[i] = s(i) / Math.sqrt(v(i) + varianceEpsilon);
    c[i] = o(i) - m(i) * a[i];
  }
  return { scale, shift };
}

export const fusedBatchNormConfig: KernelConfig = {
  kernelName: 'FusedBatchNorm',
  backendName: 'wasm',
  setupFunc: stockSetup('FusedBatchNorm'),
  kernelFunc: (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined> & {
      x: TensorInfo;
    };
    const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
    const b = args.backend as unknown as WasmBackend;
    const channels = x.shape[x.shape.length - 1];
    if (x.dtype !== 'float32' || x.shape.length !== 4 || util.sizeFromShape(x.shape) === 0)
      return stockKernel('FusedBatchNorm').kernelFunc(args);
    const temps = new Temps(b);
    try {
      const affine = batchNormAffine(b, temps, { mean, variance, offset, scale }, channels, varianceEpsilon);
      if (!affine) return stockKernel('FusedBatchNorm').kernelFunc(args);
      // The per-channel a as a [1, 1, C, 1] depthwise filter: same floats, another shape.
      const filter = { ...affine.scale, shape: [1, 1, channels, 1] };
      const bias = affine.shift;
      return call(
        'FusedDepthwiseConv2D',
        b,
        { x, filter, bias },
        { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC', activation: 'linear' },
      );
    } finally {
      temps.dispose();
    }
  },
};
