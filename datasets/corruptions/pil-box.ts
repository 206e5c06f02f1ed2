/**
 * @module PIL's Image.resize(size, Image.BOX) on 8-bit images, as Pillow 9 computes it: per axis, box weights
 * over the source span of each output pixel (support 0.5 x scale), normalised, turned into 22-bit fixed point,
 * horizontal pass then vertical pass, each rounded and clipped to uint8.
 */
const PRECISION_BITS = 32 - 8 - 2;

function coefficients(inSize: number, outSize: number): { bounds: Int32Array; k: Int32Array[] } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 0.5 * filterScale;
  const bounds = new Int32Array(outSize * 2);
  const k: Int32Array[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ssInv = 1 / filterScale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const w = new Float64Array(xmax);
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const t = (x + xmin - center + 0.5) * ssInv;
      const v = t >= -0.5 && t < 0.5 ? 1 : 0;
      w[x] = v;
      total += v;
    }
    const fixed = new Int32Array(xmax);
    for (let x = 0; x < xmax; x++) {
      const v = total ? w[x] / total : 0;
      fixed[x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
    k.push(fixed);
  }
  return { bounds, k };
}

const clip8 = (v: number) => {
  const s = Math.floor(v / (1 << PRECISION_BITS));
  return s < 0 ? 0 : Math.min(s, 255);
};

/** Resizes an 8-bit HWC image to (outH, outW) with PIL's BOX filter. */
export function resizeBox(src: Uint8Array, h: number, w: number, c: number, outH: number, outW: number): Uint8Array {
  const horiz = coefficients(w, outW);
  const tmp = new Uint8Array(h * outW * c);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < outW; xx++) {
      const xmin = horiz.bounds[xx * 2];
      const kk = horiz.k[xx];
      for (let ch = 0; ch < c; ch++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let x = 0; x < kk.length; x++) ss += src[(y * w + x + xmin) * c + ch] * kk[x];
        tmp[(y * outW + xx) * c + ch] = clip8(ss);
      }
    }
  const vert = coefficients(h, outH);
  const out = new Uint8Array(outH * outW * c);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = vert.bounds[yy * 2];
    const kk = vert.k[yy];
    for (let x = 0; x < outW; x++)
      for (let ch = 0; ch < c; ch++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < kk.length; y++) ss += tmp[((y + ymin) * outW + x) * c + ch] * kk[y];
        out[(yy * outW + x) * c + ch] = clip8(ss);
      }
  }
  return out;
}
