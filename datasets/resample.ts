/**
 * @module Batched resampling of stored uint8 NHWC images into float32 [0,1] model input. Each example shows
 * a region of its image (which may reach into zero or reflect padding), resized bilinearly to the output
 * size, optionally mirrored, a 1-channel image repeated into 3 channels when asked. Taps, pass order and
 * rounding are those of datasets/resize.ts, so a plain resize gives resizeBilinear's pixels exactly (and,
 * as PIL's resize does for torchvision's pipelines, values on the uint8 grid). Crop + flip without a
 * resize is a gather (one tap of weight 1 per pixel).
 */
import { taps as bilinearTaps, type Taps } from './resize.ts';
import type { DataSplit } from './types.ts';

export type PadMode = 'zero' | 'reflect';

/** The part of one stored image an example's batch row shows: rows top..top+height-1, columns likewise. */
export interface ExampleView {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
  /** Mirror the result left to right. */
  readonly flip: boolean;
  /** What lies outside the image: black, or the image mirrored without its edge (PyTorch's `reflect`). */
  readonly pad: PadMode;
}

/** One axis of one example: output o reads source pixels index[first[o] .. first[o+1]-1] (-1 = black). */
interface AxisTaps {
  readonly first: Int32Array;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

const tapCache = new Map<string, Taps>();

/** v / 255 for each uint8 value v, as toBatch scales stored pixels. */
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** resize.ts's taps for a region of `size` pixels onto `out`, one tap of weight 1 when the sizes match. */
function regionTaps(size: number, out: number): Taps {
  const key = `${size}>${out}`;
  let t = tapCache.get(key);
  if (!t) {
    t =
      size === out
        ? {
            start: Int32Array.from({ length: out }, (_, i) => i),
            count: new Int32Array(out).fill(1),
            weights: new Float32Array(out).fill(1),
            width: 1,
          }
        : bilinearTaps(size, out);
    if (tapCache.size > 256) tapCache.clear();
    tapCache.set(key, t);
  }
  return t;
}

/** Source pixel of padded position j along an axis of `n` pixels, or -1 for a black (zero-padded) one. */
function padIndex(j: number, n: number, pad: PadMode): number {
  if (j >= 0 && j < n) return j;
  if (pad === 'zero') return -1;
  const r = j < 0 ? -j : 2 * (n - 1) - j;
  if (r < 0 || r >= n) throw new Error(`resample: reflect padding reaches ${j}, beyond one mirror of ${n} pixels`);
  return r;
}

function axisTaps(start: number, size: number, out: number, n: number, pad: PadMode, flip: boolean): AxisTaps {
  const t = regionTaps(size, out);
  const first = new Int32Array(out + 1);
  const index = new Int32Array(out * t.width);
  const weight = new Float32Array(out * t.width);
  let k = 0;
  for (let o = 0; o < out; o++) {
    const src = flip ? out - 1 - o : o;
    first[o] = k;
    for (let q = 0; q < t.count[src]; q++) {
      const w = t.weights[src * t.width + q];
      // A zero weight adds nothing to resize.ts's sums, so leaving it out keeps its pixels exactly.
      if (w === 0) continue;
      index[k] = padIndex(start + t.start[src] + q, n, pad);
      weight[k++] = w;
    }
  }
  first[out] = k;
  return { first, index, weight };
}

/**
 * The batch of `split` rows `rows`, each shown through `views[i]`, as float32 NHWC in [0,1] of
 * `outShape` (channels: the split's, or 3 from 1 by repetition).
 */
export function resampleBatch(
  split: Pick<DataSplit, 'images' | 'shape'>,
  rows: ArrayLike<number>,
  views: readonly ExampleView[],
  outShape: readonly [number, number, number],
): Float32Array {
  const [h, w, c] = split.shape;
  const [oh, ow, oc] = outShape;
  if (oc !== c && !(c === 1 && oc === 3)) throw new Error(`resample: cannot turn ${c} channels into ${oc}`);
  const per = h * w * c;
  const outPer = oh * ow * oc;
  const rowLen = ow * c;
  const out = new Float32Array(rows.length * outPer);
  const mid = new Float32Array(h * rowLen);
  const acc = new Float64Array(rowLen);
  const rowUsed = new Uint8Array(h);
  for (let e = 0; e < rows.length; e++) {
    const v = views[e];
    const src = split.images.subarray(rows[e] * per, (rows[e] + 1) * per);
    const tx = axisTaps(v.left, v.width, ow, w, v.pad, v.flip);
    const ty = axisTaps(v.top, v.height, oh, h, v.pad, false);
    rowUsed.fill(0);
    for (let k = 0; k < ty.first[oh]; k++) if (ty.index[k] >= 0) rowUsed[ty.index[k]] = 1;
    // Rows first (into mid, float32 as resize.ts keeps it), then columns; every sum starts at 0 and adds
    // its taps in resize.ts's order, in doubles, so a plain resize equals resizeBilinear to the bit.
    for (let y = 0; y < h; y++) {
      if (!rowUsed[y]) continue;
      const rowBase = y * w * c;
      const midBase = y * rowLen;
      for (let x = 0; x < ow; x++) {
        const end = tx.first[x + 1];
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let k = tx.first[x]; k < end; k++) {
            const i = tx.index[k];
            if (i >= 0) sum += tx.weight[k] * src[rowBase + i * c + ch];
          }
          mid[midBase + x * c + ch] = sum;
        }
      }
    }
    const base = e * outPer;
    for (let y = 0; y < oh; y++) {
      acc.fill(0);
      // Whole rows at a time: the inner loop runs over contiguous memory.
      for (let k = ty.first[y]; k < ty.first[y + 1]; k++) {
        const i = ty.index[k];
        if (i < 0) continue;
        const wk = ty.weight[k];
        const m = i * rowLen;
        for (let j = 0; j < rowLen; j++) acc[j] += wk * mid[m + j];
      }
      // Rounded to the uint8 grid as resize.ts (and PIL) store it, then scaled as toBatch scales pixels.
      const o = base + y * ow * oc;
      if (oc === c) {
        for (let j = 0; j < rowLen; j++) {
          const a = acc[j];
          out[o + j] = UNIT[a <= 0 ? 0 : a >= 255 ? 255 : Math.round(a)];
        }
      } else {
        for (let x = 0; x < ow; x++) {
          const a = acc[x];
          out[o + 3 * x] = out[o + 3 * x + 1] = out[o + 3 * x + 2] = UNIT[a <= 0 ? 0 : a >= 255 ? 255 : Math.round(a)];
        }
      }
    }
  }
  return out;
}
