/**
 * @module The filters the reference corruptions call, with their border rules: scipy/skimage's Gaussian
 * (separable, radius int(truncate * sigma + 0.5), mode 'nearest' as skimage.filters.gaussian defaults),
 * OpenCV's filter2D and GaussianBlur (correlation, BORDER_REFLECT_101), and scipy.ndimage.zoom with order 1.
 */
import { like, type FloatImage } from './image.ts';

/** Index into [0, n) under scipy's 'nearest' (edge) rule. */
const nearest = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i);
/** OpenCV BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba). */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}
/** scipy 'reflect' (dcba|abcd|dcba). */
export function reflect(i: number, n: number): number {
  const period = 2 * n;
  i = ((i % period) + period) % period;
  return i < n ? i : period - 1 - i;
}

export function gaussianKernel1d(sigma: number, truncate = 4): Float64Array {
  const r = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** skimage.filters.gaussian(img, sigma, multichannel=True): each channel separately, rows then columns. */
export function gaussianFilter(
  img: FloatImage,
  sigma: number,
  border: (i: number, n: number) => number = nearest,
  truncate = 4,
): FloatImage {
  const k = gaussianKernel1d(sigma, truncate);
  const r = (k.length - 1) / 2;
  const { h, w, c } = img;
  // scipy filters axis 0 first, then axis 1.
  const tmp = new Float64Array(img.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * img.data[(border(y + j, h) * w + x) * c + ch];
        tmp[(y * w + x) * c + ch] = s;
      }
  const out = like(img);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * tmp[(y * w + border(x + j, w)) * c + ch];
        out.data[(y * w + x) * c + ch] = s;
      }
  return out;
}

/** cv2.filter2D(channel, -1, kernel) on every channel: correlation, anchor at the centre, BORDER_REFLECT_101. */
export function filter2D(img: FloatImage, kernel: Float64Array, ksize: number): FloatImage {
  const r = (ksize - 1) / 2;
  const { h, w, c } = img;
  const out = like(img);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = -r; i <= r; i++) {
          const yy = reflect101(y + i, h);
          for (let j = -r; j <= r; j++)
            s += kernel[(i + r) * ksize + (j + r)] * img.data[(yy * w + reflect101(x + j, w)) * c + ch];
        }
        out.data[(y * w + x) * c + ch] = s;
      }
  return out;
}

/** cv2.getGaussianKernel(ksize, sigma) for ksize 3 or 5 (computed, not OpenCV's small fixed tables, for sigma > 0). */
export function cvGaussianKernel(ksize: number, sigma: number): Float64Array {
  const k = new Float64Array(ksize);
  const r = (ksize - 1) / 2;
  let s = 0;
  for (let i = 0; i < ksize; i++) s += k[i] = Math.exp(-((i - r) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < ksize; i++) k[i] /= s;
  return k;
}

/** cv2.GaussianBlur(square single-channel array, (k, k), sigma): separable, BORDER_REFLECT_101. */
export function cvGaussianBlurSquare(a: Float64Array, n: number, ksize: number, sigma: number): Float64Array {
  const k = cvGaussianKernel(ksize, sigma);
  const r = (ksize - 1) / 2;
  const tmp = new Float64Array(n * n);
  const out = new Float64Array(n * n);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) s += k[j + r] * a[y * n + reflect101(x + j, n)];
      tmp[y * n + x] = s;
    }
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) s += k[j + r] * tmp[reflect101(y + j, n) * n + x];
      out[y * n + x] = s;
    }
  return out;
}

/**
 * The reference's clipped_zoom: crop the centre ceil(h / z) square, scipy.ndimage.zoom it by z with order 1
 * (output size round(ch * z), input coordinate = o * (ch - 1) / (out - 1)), then trim the centre h x h.
 */
export function clippedZoom(img: FloatImage, z: number): FloatImage {
  const { h, c } = img;
  const ch = Math.ceil(h / z);
  const top = Math.floor((h - ch) / 2);
  const outN = Math.round(ch * z);
  const trim = Math.floor((outN - h) / 2);
  const scale = outN > 1 ? (ch - 1) / (outN - 1) : 0;
  const out = like(img);
  const at = (y: number, x: number, k: number) => img.data[((top + y) * img.w + (top + x)) * c + k];
  for (let oy = 0; oy < h; oy++) {
    const fy = (oy + trim) * scale;
    const y0 = Math.min(Math.floor(fy), ch - 1);
    const y1 = Math.min(y0 + 1, ch - 1);
    const dy = fy - y0;
    for (let ox = 0; ox < h; ox++) {
      const fx = (ox + trim) * scale;
      const x0 = Math.min(Math.floor(fx), ch - 1);
      const x1 = Math.min(x0 + 1, ch - 1);
      const dx = fx - x0;
      for (let k = 0; k < c; k++) {
        out.data[(oy * img.w + ox) * c + k] =
          (1 - dy) * ((1 - dx) * at(y0, x0, k) + dx * at(y0, x1, k)) +
          dy * ((1 - dx) * at(y1, x0, k) + dx * at(y1, x1, k));
      }
    }
  }
  return out;
}
