/**
 * @module The spatter corruption's image operations, after the OpenCV calls the reference makes: Canny edges
 * (3x3 Sobel, L1 magnitude, non-maximum suppression, hysteresis), the 5x5 chamfer distance transform
 * (DIST_L2, mask 5: steps 1, 1.4, 2.1969), truncation, 3x3 box blurs, histogram equalisation, and an 8-bit
 * 3x3 filter. All work on single-channel h x w arrays.
 */
import { reflect101 } from './filters.ts';

/** cv2.Canny(u8, low, high): 255 on edges, 0 elsewhere. */
export function canny(src: Uint8Array, h: number, w: number, low: number, high: number): Uint8Array {
  const gx = new Float64Array(h * w);
  const gy = new Float64Array(h * w);
  const at = (y: number, x: number) => src[reflect101(y, h) * w + reflect101(x, w)];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      gx[y * w + x] =
        at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
      gy[y * w + x] =
        at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
    }
  const mag = Float64Array.from(gx, (v, i) => Math.abs(v) + Math.abs(gy[i]));
  const m = (y: number, x: number) => (y < 0 || y >= h || x < 0 || x >= w ? 0 : mag[y * w + x]);
  // 0 = not an edge, 1 = weak, 2 = strong.
  const state = new Uint8Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = mag[y * w + x];
      if (v <= low) continue;
      const ax = Math.abs(gx[y * w + x]);
      const ay = Math.abs(gy[y * w + x]);
      // Direction bins at 22.5 degrees (tan 22.5 = 0.4142), as OpenCV.
      let keep: boolean;
      if (ay <= ax * 0.41421356) keep = v > m(y, x - 1) && v >= m(y, x + 1);
      else if (ay >= ax * 2.41421356) keep = v > m(y - 1, x) && v >= m(y + 1, x);
      else {
        const s = gx[y * w + x] * gy[y * w + x] < 0 ? -1 : 1;
        keep = v > m(y - 1, x - s) && v > m(y + 1, x + s);
      }
      if (keep) state[y * w + x] = v > high ? 2 : 1;
    }
  const out = new Uint8Array(h * w);
  const stack: number[] = [];
  for (let i = 0; i < h * w; i++) if (state[i] === 2) stack.push(i);
  while (stack.length) {
    const i = stack.pop()!;
    if (out[i]) continue;
    out[i] = 255;
    const y = Math.floor(i / w);
    const x = i % w;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy;
        const xx = x + dx;
        if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
        const j = yy * w + xx;
        if (!out[j] && state[j] >= 1) stack.push(j);
      }
  }
  return out;
}

/** cv2.distanceTransform(u8, DIST_L2, 5): distance to the nearest zero pixel, two-pass 5x5 chamfer. */
export function distanceTransform(src: Uint8Array, h: number, w: number): Float64Array {
  const a = 1;
  const b = 1.4;
  const c = 2.1969;
  const INF = 1e9;
  const d = Float64Array.from(src, (v) => (v === 0 ? 0 : INF));
  const fwd: [number, number, number][] = [
    [-1, -2, c],
    [-1, 2, c],
    [-2, -1, c],
    [-2, 1, c],
    [-1, -1, b],
    [-1, 1, b],
    [-1, 0, a],
    [0, -1, a],
  ];
  const pass = (mask: [number, number, number][], ys: number[], xs: number[]) => {
    for (const y of ys)
      for (const x of xs) {
        let v = d[y * w + x];
        for (const [dy, dx, cost] of mask) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          v = Math.min(v, d[yy * w + xx] + cost);
        }
        d[y * w + x] = v;
      }
  };
  const ys = Array.from({ length: h }, (_, i) => i);
  const xs = Array.from({ length: w }, (_, i) => i);
  pass(fwd, ys, xs);
  pass(
    fwd.map(([dy, dx, cost]) => [-dy, -dx, cost] as [number, number, number]),
    [...ys].reverse(),
    [...xs].reverse(),
  );
  return d;
}

/** cv2.blur(a, (3, 3)): the 3x3 mean with BORDER_REFLECT_101. */
export function boxBlur3(a: Float64Array, h: number, w: number): Float64Array {
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) s += a[reflect101(y + dy, h) * w + reflect101(x + dx, w)];
      out[y * w + x] = s / 9;
    }
  return out;
}

/** cv2.equalizeHist on u8 values. */
export function equalizeHist(a: Uint8Array): Uint8Array {
  const hist = new Int32Array(256);
  for (const v of a) hist[v]++;
  let i = 0;
  while (i < 256 && hist[i] === 0) i++;
  const total = a.length;
  if (hist[i] === total) return a.slice();
  const scale = 255 / (total - hist[i]);
  const lut = new Uint8Array(256);
  let sum = 0;
  for (lut[i++] = 0; i < 256; i++) {
    sum += hist[i];
    lut[i] = Math.min(255, Math.max(0, Math.round(sum * scale)));
  }
  return Uint8Array.from(a, (v) => lut[v]);
}

/** cv2.filter2D(u8, CV_8U, k3x3): correlation, BORDER_REFLECT_101, rounded and saturated to u8. */
export function filter3u8(a: Uint8Array, h: number, w: number, k: readonly number[]): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++)
          s += k[(dy + 1) * 3 + dx + 1] * a[reflect101(y + dy, h) * w + reflect101(x + dx, w)];
      out[y * w + x] = Math.min(255, Math.max(0, Math.round(s)));
    }
  return out;
}
