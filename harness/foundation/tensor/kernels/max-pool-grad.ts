/**
 * @module MaxPoolGrad for the wasm backend. The stock kernel starts each window's running maximum at
 * FLT_MIN (the smallest positive float, not the lowest) and keeps the last of equal values, so a window
 * whose values are all negative or all zero sends its gradient to element 0 of the whole tensor
 * instead of to its maximum (found by the cpu-backend comparison in test/harness/foundation/tensor). This one
 * follows the cpu backend and PyTorch: the first maximum of each window gets the gradient. The native
 * kernel (pooling.cc) computes the same where it is loaded: this loop took 16 ms of ResNet-50's 64 px PGD step.
 */
import { backend_util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeKernels } from '../native/native-kernels.ts';
import { heapFloats, heapOffset, type WasmBackend } from './wasm-internals.ts';

interface Attrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as unknown as Attrs;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const {
      batchSize: n,
      inHeight: h,
      inWidth: w,
      inChannels: c,
      outHeight: oh,
      outWidth: ow,
      strideHeight: sh,
      strideWidth: sw,
      filterHeight: fh,
      filterWidth: fw,
    } = info;
    const { top, left } = info.padInfo;
    const b = backend as unknown as WasmBackend;
    const out = b.makeOutput(input.shape, 'float32');
    const native = nativeKernels();
    if (native && n > 0 && h > 0 && w > 0 && c > 0 && oh > 0 && ow > 0) {
      const geometry = Int32Array.of(n, h, w, c, c, fh, fw, sh, sw, oh, ow, top, left);
      native.maxPoolGrad(heapFloats(b), heapOffset(b, input), heapOffset(b, dy), heapOffset(b, out), geometry);
      return out;
    }
    const x = b.typedArrayFromHeap(input);
    const g = b.typedArrayFromHeap(dy);
    const dx = b.typedArrayFromHeap(out);
    dx.fill(0);
    const best = new Float64Array(c);
    const where = new Int32Array(c);
    for (let img = 0; img < n; img++) {
      for (let oy = 0; oy < oh; oy++) {
        const y0 = Math.max(0, oy * sh - top);
        const y1 = Math.min(h, oy * sh - top + fh);
        for (let ox = 0; ox < ow; ox++) {
          const x0 = Math.max(0, ox * sw - left);
          const x1 = Math.min(w, ox * sw - left + fw);
          best.fill(-Infinity);
          where.fill(-1);
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const base = ((img * h + iy) * w + ix) * c;
              for (let ch = 0; ch < c; ch++) {
                if (x[base + ch] > best[ch]) {
                  best[ch] = x[base + ch];
                  where[ch] = base + ch;
                }
              }
            }
          }
          const o = ((img * oh + oy) * ow + ox) * c;
          for (let ch = 0; ch < c; ch++) if (where[ch] >= 0) dx[where[ch]] += g[o + ch];
        }
      }
    }
    return out;
  },
};
