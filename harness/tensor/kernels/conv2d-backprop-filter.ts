/**
 * @module Conv2DBackpropFilter for the wasm backend, which lacks it (training and PGD fail without it).
 * Composed from wasm's own fast kernels: with the image channels as the batch and the batch as the
 * channels, the filter gradient is a convolution of x with dy dilated by the stride:
 *   dW[kh,kw,ci,co] = sum_{n,oh,ow} xPad[n, kh + oh*s, kw + ow*s, ci] * dy[n, oh, ow, co].
 */
import { backend_util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { call, Temps, type WasmBackend } from './wasm-internals.ts';

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as Attrs;
    if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
    const b = backend as unknown as WasmBackend;
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const [, inH, inW] = x.shape;
    const { strideHeight: sh, strideWidth: sw, outHeight, outWidth, filterHeight: kh, filterWidth: kw, padInfo } = info;
    const temps = new Temps(b);
    try {
      const xT = temps.add(call('Transpose', b, { x }, { perm: [3, 1, 2, 0] })); // [ci, H, W, n]
      const dyT = temps.add(call('Transpose', b, { x: dy }, { perm: [1, 2, 0, 3] })); // [oh, ow, n, co]
      // Pad the bottom/right only as far as the last filter tap needs; surplus rows are never read.
      const padBottom = Math.max(0, kh + (outHeight - 1) * sh - inH - padInfo.top);
      const padRight = Math.max(0, kw + (outWidth - 1) * sw - inW - padInfo.left);
      const full = temps.add(
        call('Conv2D', b, { x: xT, filter: dyT }, {
          strides: [1, 1],
          pad: [[0, 0], [padInfo.top, padBottom], [padInfo.left, padRight], [0, 0]],
          dataFormat: 'NHWC',
          dilations: [sh, sw],
        }),
      ); // [ci, >=kh, >=kw, co]
      const cut =
        full.shape[1] === kh && full.shape[2] === kw
          ? full
          : temps.add(call('Slice', b, { x: full }, { begin: [0, 0, 0, 0], size: [full.shape[0], kh, kw, full.shape[3]] }));
      return call('Transpose', b, { x: cut }, { perm: [1, 2, 0, 3] }); // [kh, kw, ci, co]
    } finally {
      temps.dispose();
    }
  },
};
