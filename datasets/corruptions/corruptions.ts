/**
 * @module Image corruptions after Hendrycks & Dietterich (ICLR 2019), reimplemented from the reference
 * (hendrycks/robustness `make_cifar_c.py` / `make_tinyimagenet_c.py`): same algorithms, parameters and
 * border rules, output truncated to uint8 as the reference saves it; random draws come from our seeded Rng
 * (so values differ from numpy's, statistics do not). Images up to 48 px use the 32 px (CIFAR) table, larger
 * ones the 64 px (Tiny-ImageNet) table; sizes in the algorithms follow the image. Grayscale images are
 * corrupted as three equal channels and averaged back.
 *
 * Implemented: the 15 benchmark corruptions and the 4 extra ones. frost and
 * jpeg_compression need their resources loaded first (`frostTextures`, `jpegCodec`) and passed as extras. `REFERENCE.md` states how close each comes.
 */
import type { Rng } from '../../harness/foundation/rng.ts';
import { clippedZoom, cvGaussianBlurSquare, filter2D, gaussianFilter, reflect, reflect101 } from './filters.ts';
import type { Texture } from './frost-textures.ts';
import type { JpegCodec } from './jpeg-codec.ts';
import { hsv2rgb, rgb2hsv } from './hsv.ts';
import { like, toBytes, toFloat, type FloatImage } from './image.ts';
import { motionBlur } from './motion-blur.ts';
import { boxBlur3, canny, distanceTransform, equalizeHist, filter3u8 } from './spatter.ts';
import { resizeBox } from './pil-box.ts';
import { plasmaFractal } from './plasma.ts';
import { normal, poisson, randint } from './random.ts';

type Table<T> = { readonly 32: readonly T[]; readonly 64: readonly T[] };
type Apply = (img: FloatImage, severity: number, rng: Rng, table: 32 | 64) => FloatImage;

/** np.arange(1, top, 0.01): its length is ceil((top - 1) / 0.01) in float64 (7 factors for 1.06, not 6). */
const zoomFactors = (top: number) => Array.from({ length: Math.ceil((top - 1) / 0.01) }, (_, i) => 1 + i * 0.01);

const P = {
  gaussian_noise: { 32: [0.04, 0.06, 0.08, 0.09, 0.1], 64: [0.04, 0.08, 0.12, 0.15, 0.18] },
  shot_noise: { 32: [500, 250, 100, 75, 50], 64: [250, 100, 50, 30, 15] },
  impulse_noise: { 32: [0.01, 0.02, 0.03, 0.05, 0.07], 64: [0.01, 0.02, 0.05, 0.08, 0.14] },
  speckle_noise: { 32: [0.06, 0.1, 0.12, 0.16, 0.2], 64: [0.15, 0.2, 0.25, 0.3, 0.35] },
  gaussian_blur: { 32: [0.4, 0.6, 0.7, 0.8, 1], 64: [0.5, 0.75, 1, 1.25, 1.5] },
  glass_blur: {
    32: [
      [0.05, 1, 1],
      [0.25, 1, 1],
      [0.4, 1, 1],
      [0.25, 1, 2],
      [0.4, 1, 2],
    ],
    64: [
      [0.1, 1, 1],
      [0.5, 1, 1],
      [0.6, 1, 2],
      [0.7, 2, 1],
      [0.9, 2, 2],
    ],
  },
  defocus_blur: {
    32: [
      [0.3, 0.4],
      [0.4, 0.5],
      [0.5, 0.6],
      [1, 0.2],
      [1.5, 0.1],
    ],
    64: [
      [0.5, 0.6],
      [1, 0.1],
      [1.5, 0.1],
      [2.5, 0.01],
      [3, 0.1],
    ],
  },
  zoom_blur: { 32: [1.06, 1.11, 1.16, 1.21, 1.26], 64: [1.06, 1.11, 1.16, 1.21, 1.26] },
  fog: {
    32: [
      [0.2, 3],
      [0.5, 3],
      [0.75, 2.5],
      [1, 2],
      [1.5, 1.75],
    ],
    64: [
      [0.4, 3],
      [0.7, 3],
      [1, 2.5],
      [1.5, 2],
      [2, 1.75],
    ],
  },
  brightness: { 32: [0.05, 0.1, 0.15, 0.2, 0.3], 64: [0.1, 0.2, 0.3, 0.4, 0.5] },
  contrast: { 32: [0.75, 0.5, 0.4, 0.3, 0.15], 64: [0.4, 0.3, 0.2, 0.1, 0.05] },
  pixelate: { 32: [0.95, 0.9, 0.85, 0.75, 0.65], 64: [0.9, 0.8, 0.7, 0.6, 0.5] },
  saturate: {
    32: [
      [0.3, 0],
      [0.1, 0],
      [1.5, 0],
      [2, 0.1],
      [2.5, 0.2],
    ],
    64: [
      [0.3, 0],
      [0.1, 0],
      [2, 0],
      [5, 0.1],
      [30, 0.2],
    ],
  },
  // (loc, scale, sigma, threshold, intensity or mud sigma, mud?)
  spatter: {
    32: [
      [0.62, 0.1, 0.7, 0.7, 0.5, 0],
      [0.65, 0.1, 0.8, 0.7, 0.5, 0],
      [0.65, 0.3, 1, 0.69, 0.5, 0],
      [0.65, 0.1, 0.7, 0.69, 0.6, 1],
      [0.65, 0.1, 0.5, 0.68, 0.6, 1],
    ],
    64: [
      [0.62, 0.1, 0.7, 0.7, 0.6, 0],
      [0.65, 0.1, 0.8, 0.7, 0.6, 0],
      [0.65, 0.3, 1, 0.69, 0.6, 0],
      [0.65, 0.1, 0.7, 0.68, 0.6, 1],
      [0.65, 0.1, 0.5, 0.67, 0.6, 1],
    ],
  },
  jpeg_compression: { 32: [80, 65, 58, 50, 40], 64: [65, 58, 50, 40, 25] },
  motion_blur: {
    32: [
      [6, 1],
      [6, 1.5],
      [6, 2],
      [8, 2],
      [9, 2.5],
    ],
    64: [
      [10, 1],
      [10, 1.5],
      [10, 2],
      [10, 2.5],
      [12, 3],
    ],
  },
  snow: {
    32: [
      [0.1, 0.2, 1, 0.6, 8, 3, 0.95],
      [0.1, 0.2, 1, 0.5, 10, 4, 0.9],
      [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9],
      [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85],
      [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8],
    ],
    64: [
      [0.1, 0.2, 1, 0.6, 8, 3, 0.8],
      [0.1, 0.2, 1, 0.5, 10, 4, 0.8],
      [0.15, 0.3, 1.75, 0.55, 10, 4, 0.7],
      [0.25, 0.3, 2.25, 0.6, 12, 6, 0.65],
      [0.3, 0.3, 1.25, 0.65, 14, 12, 0.6],
    ],
  },
  frost: {
    32: [
      [1, 0.2],
      [1, 0.3],
      [0.9, 0.4],
      [0.85, 0.4],
      [0.75, 0.45],
    ],
    64: [
      [1, 0.3],
      [0.9, 0.4],
      [0.8, 0.45],
      [0.75, 0.5],
      [0.7, 0.55],
    ],
  },
  // (alpha, sigma, affine) as fractions of the image size.
  elastic_transform: {
    32: [
      [0, 0, 0.08],
      [0.05, 0.2, 0.07],
      [0.08, 0.06, 0.06],
      [0.1, 0.04, 0.05],
      [0.1, 0.03, 0.03],
    ],
    64: [
      [0, 0, 0.08],
      [0.05, 0.3, 0.06],
      [0.1, 0.08, 0.06],
      [0.1, 0.03, 0.03],
      [0.1, 0.02, 0.02],
    ],
  },
} satisfies Record<string, Table<unknown>>;

const pick = <T>(t: Table<T>, table: 32 | 64, severity: number): T => t[table][severity - 1];

function map(img: FloatImage, f: (v: number, i: number) => number): FloatImage {
  const out = like(img);
  for (let i = 0; i < img.data.length; i++) out.data[i] = f(img.data[i], i);
  return out;
}

function hsvMap(img: FloatImage, f: (hsv: [number, number, number]) => [number, number, number]): FloatImage {
  const out = like(img);
  for (let p = 0; p < img.h * img.w; p++) {
    const [r, g, b] = [0, 1, 2].map((k) => img.data[p * 3 + k]);
    const [h, s, v] = f(rgb2hsv(r, g, b));
    const rgb = hsv2rgb(h, s, v);
    for (let k = 0; k < 3; k++) out.data[p * 3 + k] = rgb[k];
  }
  return out;
}

/** The reference's disk(): an aliased disk on a 17x17 grid (radius <= 8), normalised, then GaussianBlur'd. */
function disk(radius: number, aliasBlur: number): { kernel: Float64Array; size: number } {
  const r = radius <= 8 ? 8 : Math.ceil(radius);
  const size = 2 * r + 1;
  const a = new Float64Array(size * size);
  let s = 0;
  for (let y = -r; y <= r; y++)
    for (let x = -r; x <= r; x++) s += a[(y + r) * size + (x + r)] = x * x + y * y <= radius * radius ? 1 : 0;
  for (let i = 0; i < a.length; i++) a[i] /= s;
  return { kernel: cvGaussianBlurSquare(a, size, radius <= 8 ? 3 : 5, aliasBlur), size };
}

/** cv2.getAffineTransform: the 2x3 matrix taking three source points to three destination points. */
function affineFrom(src: number[][], dst: number[][]): number[] {
  // Solve [x y 1] * [a b c; d e f]^T = [x' y'] for the 6 unknowns by Cramer's rule on the 3x3 system.
  const det = (m: number[][]) =>
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const A = src.map(([x, y]) => [x, y, 1]);
  const d = det(A);
  const solve = (rhs: number[]) =>
    [0, 1, 2].map((col) => det(A.map((row, i) => row.map((v, j) => (j === col ? rhs[i] : v)))) / d);
  return [...solve(dst.map((p) => p[0])), ...solve(dst.map((p) => p[1]))];
}

/** Bilinear sample of channel k at (y, x) with a border rule on the integer neighbours. */
function sample(img: FloatImage, y: number, x: number, k: number, border: (i: number, n: number) => number): number {
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const ty = y - y0;
  const tx = x - x0;
  const v = (yy: number, xx: number) => img.data[(border(yy, img.h) * img.w + border(xx, img.w)) * img.c + k];
  return (
    (1 - ty) * ((1 - tx) * v(y0, x0) + tx * v(y0, x0 + 1)) + ty * ((1 - tx) * v(y0 + 1, x0) + tx * v(y0 + 1, x0 + 1))
  );
}

const APPLY: Record<string, Apply> = {
  spatter: (img, s, rng, t) => {
    const [loc, scale, sigma, threshold, strength, mud] = pick(P.spatter, t, s);
    const { h, w } = img;
    const noise: FloatImage = { h, w, c: 1, data: Float64Array.from({ length: h * w }, () => normal(rng, loc, scale)) };
    const liquid = gaussianFilter(noise, sigma).data.map((v) => (v < threshold ? 0 : v));
    if (mud === 0) {
      // Water: edges of the liquid layer, their distance field, equalised and embossed, tinted pale turquoise.
      const l8 = Uint8Array.from(liquid, (v) => Math.min(255, Math.floor(v * 255)));
      const edges = canny(l8, h, w, 50, 150);
      const dist = distanceTransform(
        Uint8Array.from(edges, (e) => 255 - e),
        h,
        w,
      ).map((v) => Math.min(v, 20));
      let d8: Uint8Array = Uint8Array.from(boxBlur3(dist, h, w), (v) => Math.floor(v));
      d8 = filter3u8(equalizeHist(d8), h, w, [-2, -1, 0, -1, 1, 1, 0, 1, 2]);
      const blurred = boxBlur3(Float64Array.from(d8), h, w);
      const m = liquid.map((v, i) => v * blurred[i]);
      const max = Math.max(...m);
      const color = [175 / 255, 238 / 255, 238 / 255];
      return map(img, (v, i) => v + (max > 0 ? (m[Math.floor(i / 3)] / max) * strength : 0) * color[i % 3]);
    }
    // Mud: blotches where the layer is high, smoothed, cut at 0.8, painted mud brown.
    const mask: FloatImage = { h, w, c: 1, data: liquid.map((v) => (v > threshold ? 1 : 0)) };
    const m = gaussianFilter(mask, strength).data.map((v) => (v < 0.8 ? 0 : v));
    const color = [63 / 255, 42 / 255, 20 / 255];
    return map(img, (v, i) => {
      const k = m[Math.floor(i / 3)];
      return v * (1 - k) + color[i % 3] * k;
    });
  },
  snow: (img, s, rng, t) => {
    const [loc, scale, zoom, threshold, radius, sigma, keep] = pick(P.snow, t, s);
    const { h, w } = img;
    const layer: FloatImage = {
      h,
      w,
      c: 1,
      data: Float64Array.from({ length: h * w }, () => Math.fround(normal(rng, loc, scale))),
    };
    const zoomed = clippedZoom(layer, zoom);
    // Thresholded, saved as an 8-bit grey PNG (truncated), motion-blurred, read back.
    const grey = Uint8Array.from(zoomed.data, (v) =>
      v < threshold ? 0 : Math.floor(Math.min(1, Math.max(0, v)) * 255),
    );
    const angle = -135 + 90 * rng.next();
    const flakes = motionBlur(grey, h, w, 1, radius, sigma, angle);
    return map(img, (v, i) => {
      const p = Math.floor(i / 3);
      const base = p * 3;
      const lum = 0.299 * img.data[base] + 0.587 * img.data[base + 1] + 0.114 * img.data[base + 2];
      const x = keep * v + (1 - keep) * Math.max(v, lum * 1.5 + 0.5);
      // The layer plus itself rotated by 180 degrees.
      return x + flakes[p] / 255 + flakes[h * w - 1 - p] / 255;
    });
  },
  elastic_transform: (img, s, rng, t) => {
    const size = Math.min(img.h, img.w);
    const [alpha, sigma, affine] = pick(P.elastic_transform, t, s).map((f) => f * size);
    // A random affine of three points around the centre, applied with cv2.warpAffine (bilinear, BORDER_REFLECT_101).
    const cy = Math.floor(img.h / 2);
    const cx = Math.floor(img.w / 2);
    const sq = Math.floor(size / 3);
    const pts1 = [
      [cx + sq, cy + sq],
      [cx + sq, cy - sq],
      [cx - sq, cy - sq],
    ];
    const pts2 = pts1.map((p) => p.map((v) => v + (2 * rng.next() - 1) * affine));
    // warpAffine samples the source at the inverse map of each destination pixel.
    const [a, b, c, d, e, f] = affineFrom(pts2, pts1);
    const warped = like(img);
    for (let y = 0; y < img.h; y++)
      for (let x = 0; x < img.w; x++)
        for (let k = 0; k < img.c; k++)
          warped.data[(y * img.w + x) * img.c + k] = sample(img, d * x + e * y + f, a * x + b * y + c, k, reflect101);
    // Smooth random displacements (skimage gaussian, mode 'reflect', truncate 3), scaled by alpha.
    const field = () => {
      const u: FloatImage = { h: img.h, w: img.w, c: 1, data: new Float64Array(img.h * img.w) };
      for (let i = 0; i < u.data.length; i++) u.data[i] = 2 * rng.next() - 1;
      const g = sigma > 0 ? gaussianFilter(u, sigma, reflect, 3) : u;
      return g.data.map((v) => Math.fround(v * alpha));
    };
    const dx = field();
    const dy = field();
    // scipy map_coordinates(order=1, mode='reflect') at (y + dy, x + dx).
    return map(warped, (_v, i) => {
      const k = i % img.c;
      const p = Math.floor(i / img.c);
      const y = Math.floor(p / img.w);
      const x = p % img.w;
      return sample(warped, y + dy[p], x + dx[p], k, reflect);
    });
  },
  gaussian_noise: (img, s, rng, t) => map(img, (v) => v + normal(rng, 0, pick(P.gaussian_noise, t, s))),
  shot_noise: (img, s, rng, t) => {
    const c = pick(P.shot_noise, t, s);
    return map(img, (v) => poisson(rng, v * c) / c);
  },
  impulse_noise: (img, s, rng, t) => {
    // skimage random_noise(mode='s&p'): each value flipped with probability `amount`, to 1 or 0 with equal odds.
    const amount = pick(P.impulse_noise, t, s);
    return map(img, (v) => (rng.next() < amount ? (rng.next() < 0.5 ? 1 : 0) : v));
  },
  speckle_noise: (img, s, rng, t) => map(img, (v) => v + v * normal(rng, 0, pick(P.speckle_noise, t, s))),
  gaussian_blur: (img, s, _rng, t) => gaussianFilter(img, pick(P.gaussian_blur, t, s)),
  glass_blur: (img, s, rng, t) => {
    const [sigma, delta, iterations] = pick(P.glass_blur, t, s);
    const blurred = gaussianFilter(img, sigma);
    // np.uint8(blurred * 255): truncated bytes, shuffled locally, then blurred again.
    const x = like(
      img,
      Float64Array.from(blurred.data, (v) => Math.min(255, Math.max(0, Math.floor(v * 255)))),
    );
    const { h, w, c } = img;
    for (let it = 0; it < iterations; it++)
      for (let y = h - delta; y > delta; y--)
        for (let xx = w - delta; xx > delta; xx--) {
          // numpy randint(-delta, delta) excludes delta: offsets in [-delta, delta - 1].
          const dx = randint(rng, -delta, delta);
          const dy = randint(rng, -delta, delta);
          const a = (y * w + xx) * c;
          const b = ((y + dy) * w + (xx + dx)) * c;
          // The reference's "swap" of numpy views copies: x[h, w] takes x[h', w'], which keeps its value.
          for (let k = 0; k < c; k++) x.data[a + k] = x.data[b + k];
        }
    return gaussianFilter(
      map(x, (v) => v / 255),
      sigma,
    );
  },
  defocus_blur: (img, s, _rng, t) => {
    const [radius, alias] = pick(P.defocus_blur, t, s);
    const { kernel, size } = disk(radius, alias);
    return filter2D(img, kernel, size);
  },
  zoom_blur: (img, s, _rng, t) => {
    const x = map(img, (v) => Math.fround(v));
    const factors = zoomFactors(pick(P.zoom_blur, t, s));
    const out = like(img);
    for (const z of factors) {
      const zoomed = clippedZoom(x, z);
      for (let i = 0; i < out.data.length; i++) out.data[i] += zoomed.data[i];
    }
    return map(x, (v, i) => (v + out.data[i]) / (factors.length + 1));
  },
  fog: (img, s, rng, t) => {
    const [c, decay] = pick(P.fog, t, s);
    const size = Math.max(img.h, img.w);
    let mapsize = 1;
    while (mapsize < size) mapsize *= 2;
    const fractal = plasmaFractal(rng, mapsize, decay);
    let maxVal = 0;
    for (const v of img.data) maxVal = Math.max(maxVal, v);
    return map(img, (v, i) => {
      const p = Math.floor(i / img.c);
      const y = Math.floor(p / img.w);
      const x = p % img.w;
      return ((v + c * fractal[y * mapsize + x]) * maxVal) / (maxVal + c);
    });
  },
  brightness: (img, s, _rng, t) => {
    const c = pick(P.brightness, t, s);
    return hsvMap(img, ([h, sat, v]) => [h, sat, Math.min(1, Math.max(0, v + c))]);
  },
  contrast: (img, s, _rng, t) => {
    const c = pick(P.contrast, t, s);
    const means = new Float64Array(img.c);
    for (let i = 0; i < img.data.length; i++) means[i % img.c] += img.data[i];
    for (let k = 0; k < img.c; k++) means[k] /= img.h * img.w;
    return map(img, (v, i) => (v - means[i % img.c]) * c + means[i % img.c]);
  },
  saturate: (img, s, _rng, t) => {
    const [a, b] = pick(P.saturate, t, s);
    return hsvMap(img, ([h, sat, v]) => [h, Math.min(1, Math.max(0, sat * a + b)), v]);
  },
};

/** Corruptions that work on the bytes directly (PIL resizes). */
const APPLY_BYTES: Record<
  string,
  (
    bytes: Uint8Array,
    h: number,
    w: number,
    c: number,
    severity: number,
    table: 32 | 64,
    rng: Rng,
    extras: CorruptExtras,
  ) => Uint8Array
> = {
  jpeg_compression: (bytes, h, w, _c, s, t, _rng, extras) => {
    if (!extras.jpeg)
      throw new Error('corruption jpeg_compression: no codec loaded (await jpegCodec() and pass it as { jpeg })');
    return extras.jpeg.roundTrip(bytes, h, w, pick(P.jpeg_compression, t, s));
  },
  motion_blur: (bytes, h, w, c, s, t, rng) => {
    const [radius, sigma] = pick(P.motion_blur, t, s);
    return motionBlur(bytes, h, w, c, radius, sigma, -45 + 90 * rng.next());
  },
  frost: (bytes, h, w, _c, s, t, rng, extras) => {
    if (!extras.frost?.length)
      throw new Error('corruption frost: no textures loaded (await frostTextures(scale) and pass them as { frost })');
    const [a, b] = pick(P.frost, t, s);
    const tex = extras.frost[randint(rng, 0, extras.frost.length)];
    if (tex.h <= h || tex.w <= w)
      throw new Error(`corruption frost: texture ${tex.w}x${tex.h} is too small for ${w}x${h} images`);
    const y0 = randint(rng, 0, tex.h - h);
    const x0 = randint(rng, 0, tex.w - w);
    const out = new Uint8Array(bytes.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < 3; k++) {
          const v = a * bytes[(y * w + x) * 3 + k] + b * tex.data[((y0 + y) * tex.w + (x0 + x)) * 3 + k];
          out[(y * w + x) * 3 + k] = v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v);
        }
    return out;
  },
  pixelate: (bytes, h, w, c, s, t) => {
    const f = pick(P.pixelate, t, s);
    const small = resizeBox(bytes, h, w, c, Math.trunc(h * f), Math.trunc(w * f));
    return resizeBox(small, Math.trunc(h * f), Math.trunc(w * f), c, h, w);
  },
};

export interface CorruptExtras {
  /** Frost textures at the image's scale (`frostTextures(frostScale(size))`). */
  readonly frost?: readonly Texture[];
  /** The JPEG codec (`await jpegCodec()`). */
  readonly jpeg?: JpegCodec;
}

/** The texture scale the reference uses for an image size: 0.2 for CIFAR (32 px), 0.3 for 64 px. */
export const frostScale = (size: number) => (size <= 48 ? 0.2 : 0.3);

export const IMPLEMENTED_CORRUPTIONS: readonly string[] = [...Object.keys(APPLY), ...Object.keys(APPLY_BYTES)];

/** Corrupts one uint8 HWC image (1 or 3 channels) at severity 1-5; deterministic for the Rng's state. */
export function corrupt(
  name: string,
  bytes: Uint8Array,
  shape: readonly [number, number, number],
  severity: number,
  rng: Rng,
  extras: CorruptExtras = {},
): Uint8Array {
  const [h, w, c] = shape;
  if (!Number.isInteger(severity) || severity < 1 || severity > 5)
    throw new Error(`corruption ${name}: severity must be 1..5, got ${severity}`);
  if (c !== 1 && c !== 3) throw new Error(`corruption ${name}: images must have 1 or 3 channels, got ${c}`);
  if (bytes.length !== h * w * c)
    throw new Error(`corruption ${name}: ${bytes.length} bytes do not make a ${h}x${w}x${c} image`);
  const table: 32 | 64 = Math.max(h, w) <= 48 ? 32 : 64;
  const rgb = c === 3 ? bytes : Uint8Array.from({ length: h * w * 3 }, (_, i) => bytes[Math.floor(i / 3)]);
  let out: Uint8Array;
  if (APPLY_BYTES[name]) out = APPLY_BYTES[name](rgb, h, w, 3, severity, table, rng, extras);
  else if (APPLY[name]) out = toBytes(APPLY[name](toFloat(rgb, h, w, 3), severity, rng, table));
  else
    throw new Error(
      `unknown or not yet implemented corruption '${name}' (implemented: ${IMPLEMENTED_CORRUPTIONS.join(', ')})`,
    );
  if (c === 3) return out;
  return Uint8Array.from({ length: h * w }, (_, p) => Math.floor((out[p * 3] + out[p * 3 + 1] + out[p * 3 + 2]) / 3));
}
