/**
 * @module Conv2DBackpropInput for the wasm backend; the stock one is a plain loop (~1 GMAC/s).
 * Stride 1: a convolution of dy with the spatially flipped, in/out-swapped filter, run by wasm's own
 * XNNPACK Conv2D. Larger strides: one matrix product dy · Wᵀ (XNNPACK) giving every output pixel's
 * contribution to its input patch, then a col2im scatter-add.
 */
import { backend_util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { call, Temps, type WasmBackend } from './wasm-internals.ts';

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/** Scatter-adds patch rows (one per output pixel, laid out [kh, kw, ci]) into dx (NHWC). */
export function col2im(
  cols: Float32Array,
  dx: Float32Array,
  [n, h, w, ci]: readonly number[],
  [oh, ow]: readonly number[],
  [kh, kw]: readonly number[],
  [sh, sw]: readonly number[],
  [top, left]: readonly number[],
): void {
  dx.fill(0);
  const patch = kh * kw * ci;
  let row = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, row++) {
        const base = row * patch;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - top + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - left + kx;
            if (ix < 0 || ix >= w) continue;
            const src = base + (ky * kw + kx) * ci;
            const dst = ((b * h + iy) * w + ix) * ci;
            for (let c = 0; c < ci; c++) dx[dst + c] += cols[src + c];
          }
        }
      }
    }
  }
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as Attrs;
    if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput (wasm): only NHWC is supported');
    const b = backend as unknown as WasmBackend;
    const info = backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow, padInfo } = info;
    const [n, h, w, ci] = a.inputShape;
    const co = filter.shape[3];
    const temps = new Temps(b);
    try {
      const flipPads = [kh - 1 - padInfo.top, kh - 1 - padInfo.bottom, kw - 1 - padInfo.left, kw - 1 - padInfo.right];
      if (sh === 1 && sw === 1 && flipPads.every((p) => p >= 0)) {
        const flipped = temps.add(call('Reverse', b, { x: filter }, { dims: [0, 1] }));
        const swapped = temps.add(call('Transpose', b, { x: flipped }, { perm: [0, 1, 3, 2] }));
        return call('Conv2D', b, { x: dy, filter: swapped }, {
          strides: [1, 1],
          pad: [[0, 0], [flipPads[0], flipPads[1]], [flipPads[2], flipPads[3]], [0, 0]],
          dataFormat: 'NHWC',
          dilations: [1, 1],
        });
      }
      const dy3 = temps.add(call('Reshape', b, { x: dy }, { shape: [1, n * oh * ow, co] }));
      const w2 = temps.add(call('Reshape', b, { x: filter }, { shape: [kh * kw * ci, co] }));
      // XNNPACK's matmul is fast for a plain B; transposing the small filter first is cheaper than transposeB.
      const wT = temps.add(call('Transpose', b, { x: w2 }, { perm: [1, 0] }));
      const w3 = temps.add(call('Reshape', b, { x: wT }, { shape: [1, co, kh * kw * ci] }));
      const cols = temps.add(call('BatchMatMul', b, { a: dy3, b: w3 }, { transposeA: false, transposeB: false }));
      const out = b.makeOutput([n, h, w, ci], 'float32');
      col2im(b.typedArrayFromHeap(cols) as Float32Array, b.typedArrayFromHeap(out) as Float32Array, [n, h, w, ci], [oh, ow], [kh, kw], [sh, sw], [padInfo.top, padInfo.left]);
      return out;
    } finally {
      temps.dispose();
    }
  },
};
