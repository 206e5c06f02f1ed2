/**
 * @module Batched resampling of stored uint8 NHWC images into float32 [0,1] model input. Each example shows
 * a region of its image (which may reach into zero or reflect padding), resized bilinearly to the output
 * size, optionally mirrored, a 1-channel image repeated into 3 channels when asked. Taps, pass order and
 * rounding are those of datasets/resize.ts, so a plain resize gives resizeBilinear's pixels exactly (and,
 * as PIL's resize does for torchvision's pipelines, values on the uint8 grid). Crop + flip without a
 * resize is a gather (one tap of weight 1 per pixel).
 *
 * Speed: each example's taps are worked out once (source offsets already times the channel count, black
 * padding and zero weights left out), so the inner loops are plain typed-array arithmetic without branches
 * per tap; the common cases (a gather, two taps per output, 1 or 3 channels) have their own loops.
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

/**
 * One axis of one example: output o sums weight[k] * source at offset[k] for k in first[o] .. first[o+1]-1.
 * Taps onto black padding are left out (they add nothing); `unit` when every output has at most one tap
 * of weight 1 (no resize: a gather).
 */
interface AxisTaps {
  readonly first: Int32Array;
  readonly offset: Int32Array;
  readonly weight: Float32Array;
  readonly unit: boolean;
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

/** The taps of one axis of `n` pixels, `stride` values apart in the source (channels, or a row's length). */
function axisTaps(
  start: number,
  size: number,
  out: number,
  n: number,
  stride: number,
  pad: PadMode,
  flip: boolean,
): AxisTaps {
  const t = regionTaps(size, out);
  const first = new Int32Array(out + 1);
  const offset = new Int32Array(out * t.width);
  const weight = new Float32Array(out * t.width);
  let k = 0;
  for (let o = 0; o < out; o++) {
    const src = flip ? out - 1 - o : o;
    first[o] = k;
    for (let q = 0; q < t.count[src]; q++) {
      const w = t.weights[src * t.width + q];
      const i = padIndex(start + t.start[src] + q, n, pad);
      // A zero weight or a black pixel adds nothing to resize.ts's sums: leaving it out keeps its pixels exactly.
      if (w === 0 || i < 0) continue;
      offset[k] = i * stride;
      weight[k++] = w;
    }
  }
  first[out] = k;
  return { first, offset, weight, unit: t.width === 1 };
}

/**
 * A sum rounded to resize.ts's uint8 grid (Math.round: halves up), then scaled as toBatch scales stored
 * pixels. Truncation plus the exact fraction (a - t has no rounding error for t <= a < t + 1) gives
 * Math.round's integer, a little faster.
 */
function unitValue(a: number): number {
  if (a <= 0) return 0;
  if (a >= 255) return 1;
  const t = a | 0;
  return UNIT[a - t >= 0.5 ? t + 1 : t];
}

/**
 * Crop + flip without a resize: each output pixel is one stored pixel (or black), copied as v / 255, which
 * is what the two passes give for one tap of weight 1.
 */
function gather(
  src: Uint8Array,
  tx: AxisTaps,
  ty: AxisTaps,
  c: number,
  out: Float32Array,
  base: number,
  ow: number,
  oc: number,
): void {
  const oh = ty.first.length - 1;
  for (let y = 0; y < oh; y++) {
    if (ty.first[y] === ty.first[y + 1]) continue; // a black row: `out` is already zero
    const row = ty.offset[ty.first[y]];
    let o = base + y * ow * oc;
    for (let x = 0; x < ow; x++, o += oc) {
      if (tx.first[x] === tx.first[x + 1]) continue;
      const s = row + tx.offset[tx.first[x]];
      if (oc === c) for (let ch = 0; ch < c; ch++) out[o + ch] = UNIT[src[s + ch]];
      else out[o] = out[o + 1] = out[o + 2] = UNIT[src[s]];
    }
  }
}

/** The row pass: the used source rows resized along x, as float32 (resize.ts keeps its middle image so). */
function resizeRows(
  src: Uint8Array,
  tx: AxisTaps,
  rows: Int32Array,
  rowCount: number,
  c: number,
  w: number,
  ow: number,
  mid: Float32Array,
): void {
  const { first, offset, weight } = tx;
  const rowLen = ow * c;
  for (let r = 0; r < rowCount; r++) {
    const y = rows[r];
    const s = y * w * c;
    let m = y * rowLen;
    if (c === 3) {
      for (let x = 0; x < ow; x++, m += 3) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        for (let k = first[x]; k < first[x + 1]; k++) {
          const p = s + offset[k];
          const wk = weight[k];
          s0 += wk * src[p];
          s1 += wk * src[p + 1];
          s2 += wk * src[p + 2];
        }
        mid[m] = s0;
        mid[m + 1] = s1;
        mid[m + 2] = s2;
      }
    } else {
      for (let x = 0; x < ow; x++, m += c) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let k = first[x]; k < first[x + 1]; k++) sum += weight[k] * src[s + offset[k] + ch];
          mid[m + ch] = sum;
        }
      }
    }
  }
}

/**
 * The column pass: output row y sums its taps' middle rows (in doubles, in resize.ts's order) onto the
 * uint8 grid. `acc` holds a row's sums when an output has more than two taps (shrinking).
 */
function resizeColumns(
  mid: Float32Array,
  ty: AxisTaps,
  rowLen: number,
  c: number,
  oc: number,
  out: Float32Array,
  base: number,
  acc: Float64Array,
): void {
  const oh = ty.first.length - 1;
  const ow = rowLen / c;
  for (let y = 0; y < oh; y++) {
    const k0 = ty.first[y];
    const taps = ty.first[y + 1] - k0;
    if (taps === 0) continue; // a black row
    const o = base + y * ow * oc;
    const m0 = ty.offset[k0];
    const w0 = ty.weight[k0];
    if (taps <= 2) {
      // One or two taps (upscaling, or a crop's edge): the sum in registers, term for term as resize.ts adds it.
      // A lone tap gets a second one of weight 0, which adds exactly +0 (the middle image is never negative).
      const m1 = taps === 2 ? ty.offset[k0 + 1] : m0;
      const w1 = taps === 2 ? ty.weight[k0 + 1] : 0;
      if (oc === c) for (let j = 0; j < rowLen; j++) out[o + j] = unitValue(w0 * mid[m0 + j] + w1 * mid[m1 + j]);
      else
        for (let x = 0, p = o; x < ow; x++, p += 3)
          out[p] = out[p + 1] = out[p + 2] = unitValue(w0 * mid[m0 + x] + w1 * mid[m1 + x]);
      continue;
    }
    for (let j = 0; j < rowLen; j++) acc[j] = w0 * mid[m0 + j];
    for (let k = k0 + 1; k < k0 + taps; k++) {
      const m = ty.offset[k];
      const wk = ty.weight[k];
      for (let j = 0; j < rowLen; j++) acc[j] += wk * mid[m + j];
    }
    if (oc === c) for (let j = 0; j < rowLen; j++) out[o + j] = unitValue(acc[j]);
    else for (let x = 0; x < ow; x++) out[o + 3 * x] = out[o + 3 * x + 1] = out[o + 3 * x + 2] = unitValue(acc[x]);
  }
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
  const usedRows = new Int32Array(h);
  for (let e = 0; e < rows.length; e++) {
    const v = views[e];
    const src = split.images.subarray(rows[e] * per, (rows[e] + 1) * per);
    const tx = axisTaps(v.left, v.width, ow, w, c, v.pad, v.flip);
    if (tx.unit && v.height === oh) {
      gather(src, tx, axisTaps(v.top, v.height, oh, h, w * c, v.pad, false), c, out, e * outPer, ow, oc);
      continue;
    }
    // Rows first (into mid), only those a tap reads, then columns; offsets along y are rows of mid.
    const ty = axisTaps(v.top, v.height, oh, h, rowLen, v.pad, false);
    rowUsed.fill(0);
    let used = 0;
    for (let k = 0; k < ty.first[oh]; k++) {
      const y = ty.offset[k] / rowLen;
      if (!rowUsed[y]) {
        rowUsed[y] = 1;
        usedRows[used++] = y;
      }
    }
    resizeRows(src, tx, usedRows, used, c, w, ow, mid);
    resizeColumns(mid, ty, rowLen, c, oc, out, e * outPer, acc);
  }
  return out;
}
