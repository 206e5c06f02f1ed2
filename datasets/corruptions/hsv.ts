/** @module skimage.color.rgb2hsv / hsv2rgb on float RGB in [0,1], pixel by pixel, as skimage 0.19 computes them. */

export function rgb2hsv(r: number, g: number, b: number): [number, number, number] {
  const v = Math.max(r, g, b);
  const delta = v - Math.min(r, g, b);
  const s = v === 0 ? 0 : delta / v;
  let h = 0;
  if (delta !== 0) {
    // skimage assigns in the order r, g, b: the last matching channel wins.
    if (r === v) h = (g - b) / delta;
    if (g === v) h = 2 + (b - r) / delta;
    if (b === v) h = 4 + (r - g) / delta;
    h = (((h / 6) % 1) + 1) % 1;
  }
  return [h, s, v];
}

export function hsv2rgb(h: number, s: number, v: number): [number, number, number] {
  const hi = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  switch (hi) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}
