/**
 * @module im2colᵀ for the filter gradient: colsᵀ[(ky,kx,c), p] = the input value under tap (ky,kx),
 * channel c, of output pixel p, zero in the padding, for the output pixels of images img0..img1 (NHWC
 * input). With channels and output width in multiples of 4 the input is first copied into a
 * zero-padded buffer and every tap becomes one SIMD 4x4-block transpose (about 0.4 ns per element);
 * otherwise a scalar strided copy per tap and image (about 2 ns).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { validRange, type ConvGeometry } from './conv-geometry.ts';
import { stridedCopyFor } from './strided-copy.ts';
import { heapOffset, Temps, type WasmBackend } from './wasm-internals.ts';

function scalarIm2colT(
  b: WasmBackend,
  cols: TensorInfo,
  x: TensorInfo,
  g: ConvGeometry,
  img0: number,
  img1: number,
): void {
  const { h, w, ci, kh, kw, sh, sw, oh, ow, top, left } = g;
  const { copy3d } = stridedCopyFor(b);
  const pixels = (img1 - img0) * oh * ow;
  // Zero only when some tap falls in the padding; valid taps overwrite everything else.
  const padded =
    validRange(0, sh, top, h, oh)[0] > 0 ||
    validRange(kh - 1, sh, top, h, oh)[1] < oh ||
    validRange(0, sw, left, w, ow)[0] > 0 ||
    validRange(kw - 1, sw, left, w, ow)[1] < ow;
  if (padded) b.typedArrayFromHeap(cols).fill(0);
  const dst = heapOffset(b, cols);
  const src = heapOffset(b, x);
  for (let ky = 0; ky < kh; ky++) {
    const [y0, y1] = validRange(ky, sh, top, h, oh);
    for (let kx = 0; kx < kw; kx++) {
      const [x0, x1] = validRange(kx, sw, left, w, ow);
      if (y1 <= y0 || x1 <= x0) continue;
      const row = (ky * kw + kx) * ci;
      // One image at a time keeps its input (H·W·ci floats) in cache across the ci rows.
      for (let img = img0; img < img1; img++) {
        copy3d(
          dst + 4 * (row * pixels + ((img - img0) * oh + y0) * ow + x0),
          src + 4 * (((img * h + y0 * sh - top + ky) * w + x0 * sw - left + kx) * ci),
          ci,
          y1 - y0,
          x1 - x0,
          4 * pixels,
          4 * ow,
          4,
          4,
          4 * sh * w * ci,
          4 * sw * ci,
        );
      }
    }
  }
}

function simdIm2colT(
  b: WasmBackend,
  cols: TensorInfo,
  x: TensorInfo,
  g: ConvGeometry,
  img0: number,
  img1: number,
): void {
  const { h, w, ci, kh, kw, sh, sw, oh, ow, top, left } = g;
  const { copy3d, transpose4x4 } = stridedCopyFor(b);
  const images = img1 - img0;
  const pixels = images * oh * ow;
  // Padded extent: every tap of every output pixel lands inside it.
  const hp = Math.max(top + h, (oh - 1) * sh + kh);
  const wp = Math.max(left + w, (ow - 1) * sw + kw);
  const temps = new Temps(b);
  try {
    let src = heapOffset(b, x) + 4 * img0 * h * w * ci;
    if (hp !== h || wp !== w) {
      const xPad = temps.add(b.makeOutput([images, hp, wp, ci], 'float32'));
      b.typedArrayFromHeap(xPad).fill(0);
      src = heapOffset(b, xPad);
      copy3d(
        src + 4 * (top * wp + left) * ci,
        heapOffset(b, x) + 4 * img0 * h * w * ci,
        images,
        h,
        w * ci,
        4 * hp * wp * ci,
        4 * wp * ci,
        4,
        4 * h * w * ci,
        4 * w * ci,
        4,
      );
    }
    const dst = heapOffset(b, cols);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        for (let img = 0; img < images; img++) {
          transpose4x4(
            dst + 4 * ((ky * kw + kx) * ci * pixels + img * oh * ow),
            src + 4 * ((img * hp + ky) * wp + kx) * ci,
            ci / 4,
            oh,
            ow / 4,
            4 * pixels,
            4 * ow,
            4 * sw * ci,
            4 * sh * wp * ci,
          );
        }
      }
    }
  } finally {
    temps.dispose();
  }
}

/** Fills colsᵀ [kh·kw·ci, (img1 − img0)·oh·ow] from x. */
export function im2colTransposed(
  b: WasmBackend,
  cols: TensorInfo,
  x: TensorInfo,
  g: ConvGeometry,
  img0: number,
  img1: number,
): void {
  if (g.ci % 4 === 0 && g.ow % 4 === 0) simdIm2colT(b, cols, x, g, img0, img1);
  else scalarIm2colT(b, cols, x, g, img0, img1);
}
