/** @module A float image in [0,1] (HWC, float64) and the conversion back to bytes the reference uses. */

export interface FloatImage {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly data: Float64Array;
}

export function toFloat(bytes: Uint8Array, h: number, w: number, c: number): FloatImage {
  const data = new Float64Array(h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = bytes[i] / 255;
  return { h, w, c, data };
}

/** np.uint8(np.clip(x, 0, 1) * 255): clipped, then truncated (not rounded), as the reference saves. */
export function toBytes(img: FloatImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = img.data[i];
    out[i] = v <= 0 || Number.isNaN(v) ? 0 : v >= 1 ? 255 : Math.floor(v * 255);
  }
  return out;
}

export function like(img: FloatImage, data = new Float64Array(img.data.length)): FloatImage {
  return { h: img.h, w: img.w, c: img.c, data };
}
