/**
 * @module Conv2DBackpropFilter for the wasm backend, which lacks it (training and PGD fail without it).
 * The native kernel (../native) computes it when loaded; otherwise, in wasm:
 * dW[kh·kw·ci, co] = colsᵀ · dy: one XNNPACK matrix product per chunk of images, where colsᵀ is the
 * transposed im2col of x (im2col.ts). Measured per layer of the 4-block CNN (batch 128, one thread):
 * 43/81/77/36 ms, against 91/189/123/54 ms for the earlier composition from wasm's Transpose + a
 * dilated Conv2D + Slice (wasm's Transpose costs 7-12 ns per element).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { convGeometry, type ConvAttrs, type ConvGeometry } from './conv-geometry.ts';
import { nativeKernels } from '../native/native-kernels.ts';
import { im2colTransposed } from './im2col.ts';
import { geometryArray, nonEmpty } from './native-geometry.ts';
import { call, heapFloats, heapOffset, Temps, type WasmBackend } from './wasm-internals.ts';

/**
 * Floats of dy per chunk. XNNPACK packs its weight operand (here dy) at 6-19 ns per element, least
 * when it fits in cache; 2^15..2^19 measured alike, 2^22 (one chunk) 10% slower.
 */
const CHUNK_FLOATS = 1 << 17;

/** out (+)= colsᵀ · dy over the output pixels of images img0..img1. */
function accumulateChunk(
  b: WasmBackend,
  out: TensorInfo,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
  img0: number,
  img1: number,
): void {
  const pixels = (img1 - img0) * g.oh * g.ow;
  const temps = new Temps(b);
  try {
    const cols = temps.add(b.makeOutput([1, g.kh * g.kw * g.ci, pixels], 'float32'));
    im2colTransposed(b, cols, x, g, img0, img1);
    // This chunk of dy is XNNPACK's weight operand; an alias released at once frees its packed copy now.
    const dyChunk = temps.alias(dy, [1, pixels, g.co], 4 * img0 * g.oh * g.ow * g.co);
    const part = temps.add(call('BatchMatMul', b, { a: cols, b: dyChunk }, { transposeA: false, transposeB: false }));
    const src = b.typedArrayFromHeap(part);
    const dst = b.typedArrayFromHeap(out);
    if (img0 === 0) dst.set(src);
    else for (let i = 0; i < dst.length; i++) dst[i] += src[i];
  } finally {
    temps.dispose();
  }
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    const g = convGeometry('Conv2DBackpropFilter', x.shape, a.filterShape, a);
    const b = backend as unknown as WasmBackend;
    const perImage = g.oh * g.ow;
    const out = b.makeOutput([g.kh, g.kw, g.ci, g.co], 'float32');
    const native = nativeKernels();
    if (native && nonEmpty(g)) {
      native.conv2dBackpropFilter(
        heapFloats(b),
        heapOffset(b, x),
        heapOffset(b, dy),
        heapOffset(b, out),
        geometryArray(g),
      );
      return out;
    }
    if (g.n * perImage === 0) {
      b.typedArrayFromHeap(out).fill(0);
      return out;
    }
    // Chunks of whole images: dy's packed copy stays in cache, and colsᵀ stays small (ResNet-18's first
    // stage would need 300 MB at once).
    const chunks = Math.ceil((g.n * perImage * g.co) / CHUNK_FLOATS);
    const perChunk = Math.ceil(g.n / chunks);
    try {
      for (let img0 = 0; img0 < g.n; img0 += perChunk)
        accumulateChunk(b, out, x, dy, g, img0, Math.min(g.n, img0 + perChunk));
    } catch (err) {
      b.disposeData(out.dataId);
      throw err;
    }
    return out;
  },
};
