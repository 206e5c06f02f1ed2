/**
 * @module Cropping and resizing RGB images to a dataset's fixed input size. Resampling is bilinear
 * with half-pixel centres (as PIL, OpenCV and tf.image with align_corners=false); when shrinking, the
 * triangle filter is widened by the scale factor so every source pixel contributes (PIL's
 * `Image.resize(size, BILINEAR)`, torchvision's `antialias=True`). Plain bilinear without that would
 * alias badly at Caltech-256's 300 px → 64 px.
 */
import type { RgbImage } from './formats/ppm.ts';

/** Crops to columns x1..x2 and rows y1..y2 (inclusive), clamped to the image. */
export function crop(img: RgbImage, x1: number, y1: number, x2: number, y2: number): RgbImage {
  const left = Math.max(0, Math.min(img.width - 1, x1));
  const top = Math.max(0, Math.min(img.height - 1, y1));
  const right = Math.max(left, Math.min(img.width - 1, x2));
  const bottom = Math.max(top, Math.min(img.height - 1, y2));
  const width = right - left + 1;
  const height = bottom - top + 1;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * img.width + left) * 3;
    data.set(img.data.subarray(src, src + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** The largest centred square. */
export function centerSquare(img: RgbImage): RgbImage {
  const side = Math.min(img.width, img.height);
  const x = Math.floor((img.width - side) / 2);
  const y = Math.floor((img.height - side) / 2);
  return crop(img, x, y, x + side - 1, y + side - 1);
}

/** Bilinear filter taps of one axis (also used per batch by datasets/resample.ts). */
export interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  /** Taps per output (max). */
  width: number;
}

/** Filter taps of one axis: for output i, source pixels start[i]..start[i]+count[i]-1. */
export function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = Math.max(1, scale); // triangle radius in source pixels
  const width = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * width);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(inSize, Math.ceil(center + support));
    let total = 0;
    let k = 0;
    for (let j = lo; j < hi && k < width; j++, k++) {
      const w = Math.max(0, 1 - Math.abs((j + 0.5 - center) / support));
      weights[i * width + k] = w;
      total += w;
    }
    if (total === 0) {
      // Upscaling exactly onto a pixel edge: take the nearest pixel.
      weights[i * width] = 1;
      start[i] = Math.min(inSize - 1, Math.floor(center));
      count[i] = 1;
      continue;
    }
    for (let t = 0; t < k; t++) weights[i * width + t] /= total;
    start[i] = lo;
    count[i] = k;
  }
  return { start, count, weights, width };
}

/** Resizes to outW x outH (separable: rows then columns), rounding to the nearest uint8. */
export function resizeBilinear(img: RgbImage, outW: number, outH: number): RgbImage {
  if (img.width === outW && img.height === outH) return img;
  const tx = taps(img.width, outW);
  const ty = taps(img.height, outH);
  const src = img.data;
  const inW = img.width;
  const inH = img.height;
  const mid = new Float32Array(outW * inH * 3);
  for (let x = 0; x < outW; x++) {
    const start = tx.start[x];
    const count = tx.count[x];
    const wBase = x * tx.width;
    for (let y = 0; y < inH; y++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let s = (y * inW + start) * 3;
      for (let k = 0; k < count; k++, s += 3) {
        const w = tx.weights[wBase + k];
        r += w * src[s];
        g += w * src[s + 1];
        b += w * src[s + 2];
      }
      const o = (y * outW + x) * 3;
      mid[o] = r;
      mid[o + 1] = g;
      mid[o + 2] = b;
    }
  }
  const data = new Uint8Array(outW * outH * 3);
  const rowStride = outW * 3;
  for (let y = 0; y < outH; y++) {
    const start = ty.start[y];
    const count = ty.count[y];
    const wBase = y * ty.width;
    for (let x = 0; x < outW; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let s = (start * outW + x) * 3;
      for (let k = 0; k < count; k++, s += rowStride) {
        const w = ty.weights[wBase + k];
        r += w * mid[s];
        g += w * mid[s + 1];
        b += w * mid[s + 2];
      }
      // Uint8Array stores truncate, so round and clamp first.
      const o = (y * outW + x) * 3;
      data[o] = r <= 0 ? 0 : r >= 255 ? 255 : Math.round(r);
      data[o + 1] = g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g);
      data[o + 2] = b <= 0 ? 0 : b >= 255 ? 255 : Math.round(b);
    }
  }
  return { width: outW, height: outH, data };
}
