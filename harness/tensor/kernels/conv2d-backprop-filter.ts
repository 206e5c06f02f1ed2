/**
 * @module Conv2DBackpropFilter for the wasm backend, which lacks it (training and PGD fail without it).
 * Composed from wasm's own fast kernels: with the image channels as the batch and the batch as the
 * channels, the filter gradient is a convolution of x with dy dilated by the stride:
 *   dW[kh,kw,ci,co] = sum_{n,oh,ow} xPad[n, kh + oh*s, kw + ow*s, ci] * dy[n, oh, ow, co].
 */
import { backend_util, getKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

type Backend = { disposeData(dataId: object): boolean };

function wasmKernel(name: string): KernelFunc {
  const k = getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  return k.kernelFunc;
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const [, inH, inW] = x.shape;
    const { strideHeight: sh, strideWidth: sw, outHeight, outWidth, filterHeight: kh, filterWidth: kw, padInfo } = info;
    const transpose = wasmKernel('Transpose');
    const conv2d = wasmKernel('Conv2D');
    const slice = wasmKernel('Slice');
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo | TensorInfo[]) => {
      const r = Array.isArray(t) ? t[0] : t;
      temps.push(r);
      return r;
    };
    try {
      const xT = keep(transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } })); // [ci, H, W, n]
      const dyT = keep(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } })); // [oh, ow, n, co]
      // Pad the bottom/right only as far as the last filter tap needs; surplus rows are never read.
      const padBottom = Math.max(0, kh + (outHeight - 1) * sh - inH - padInfo.top);
      const padRight = Math.max(0, kw + (outWidth - 1) * sw - inW - padInfo.left);
      const full = keep(
        conv2d({
          inputs: { x: xT, filter: dyT },
          backend,
          attrs: {
            strides: [1, 1],
            pad: [[0, 0], [padInfo.top, padBottom], [padInfo.left, padRight], [0, 0]],
            dataFormat: 'NHWC',
            dilations: [sh, sw],
          },
        }),
      ); // [ci, >=kh, >=kw, co]
      const cut = full.shape[1] === kh && full.shape[2] === kw ? full : keep(slice({ inputs: { x: full }, backend, attrs: { begin: [0, 0, 0, 0], size: [full.shape[0], kh, kw, full.shape[3]] } }));
      return transpose({ inputs: { x: cut }, backend, attrs: { perm: [1, 2, 0, 3] } }); // [kh, kw, ci, co]
    } finally {
      for (const t of temps) (backend as unknown as Backend).disposeData(t.dataId);
    }
  },
};
