/**
 * @module ImageMagick 6's MotionBlurImage as the reference calls it through Wand: a one-sided Gaussian kernel
 * of width 2 * ceil(radius) + 1 laid along `angle` (integer offsets rounded as ImageMagick rounds them),
 * edge pixels repeated outside the image, the result rounded to 8 bits (the reference round-trips PNG).
 */

/** Blurs 8-bit HWC bytes (c channels) and returns 8-bit bytes. */
export function motionBlur(
  src: Uint8Array,
  h: number,
  w: number,
  c: number,
  radius: number,
  sigma: number,
  angleDeg: number,
): Uint8Array {
  const width = 2 * Math.ceil(radius) + 1;
  const s = Math.max(Math.abs(sigma), 1e-12);
  const kernel = Float64Array.from({ length: width }, (_, i) => Math.exp(-(i * i) / (2 * s * s)));
  const total = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < width; i++) kernel[i] /= total;
  const a = (angleDeg * Math.PI) / 180;
  const px = width * Math.sin(a);
  const py = width * Math.cos(a);
  const hyp = Math.hypot(px, py);
  const ox = Int32Array.from({ length: width }, (_, i) => Math.ceil((i * py) / hyp - 0.5));
  const oy = Int32Array.from({ length: width }, (_, i) => Math.ceil((i * px) / hyp - 0.5));
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) {
        let v = 0;
        for (let i = 0; i < width; i++) {
          const yy = Math.min(h - 1, Math.max(0, y + oy[i]));
          const xx = Math.min(w - 1, Math.max(0, x + ox[i]));
          v += kernel[i] * src[(yy * w + xx) * c + k];
        }
        out[(y * w + x) * c + k] = Math.min(255, Math.max(0, Math.round(v)));
      }
  return out;
}
