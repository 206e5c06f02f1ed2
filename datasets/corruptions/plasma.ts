/**
 * @module The reference's plasma fractal (diamond-square with a decaying "wibble"), seeded from our Rng:
 * a mapsize x mapsize height map in [0,1]. mapsize must be a power of two.
 */
import type { Rng } from '../../harness/foundation/rng.ts';

export function plasmaFractal(rng: Rng, mapsize: number, wibbleDecay: number): Float64Array {
  if ((mapsize & (mapsize - 1)) !== 0) throw new Error(`plasma fractal: mapsize ${mapsize} is not a power of two`);
  const m = new Float64Array(mapsize * mapsize);
  const at = (y: number, x: number) =>
    (((y % mapsize) + mapsize) % mapsize) * mapsize + (((x % mapsize) + mapsize) % mapsize);
  let step = mapsize;
  let wibble = 100;
  const jitter = (v: number) => v / 4 + wibble * (2 * wibble * rng.next() - wibble);
  while (step >= 2) {
    const half = step / 2;
    // Squares: centre = mean of the four corners (wrapping) + wibble.
    for (let y = 0; y < mapsize; y += step)
      for (let x = 0; x < mapsize; x += step) {
        const s = m[at(y, x)] + m[at(y + step, x)] + m[at(y, x + step)] + m[at(y + step, x + step)];
        m[at(y + half, x + half)] = jitter(s);
      }
    // Diamonds: edge midpoints from the two corners and the two neighbouring centres (wrapping).
    for (let y = 0; y < mapsize; y += step)
      for (let x = 0; x < mapsize; x += step) {
        const top = m[at(y, x)] + m[at(y, x + step)] + m[at(y + half, x + half)] + m[at(y - half, x + half)];
        m[at(y, x + half)] = jitter(top);
        const left = m[at(y, x)] + m[at(y + step, x)] + m[at(y + half, x + half)] + m[at(y + half, x - half)];
        m[at(y + half, x)] = jitter(left);
      }
    step = half;
    wibble /= wibbleDecay;
  }
  let min = Infinity;
  for (const v of m) min = Math.min(min, v);
  let max = -Infinity;
  for (let i = 0; i < m.length; i++) max = Math.max(max, (m[i] -= min));
  for (let i = 0; i < m.length; i++) m[i] /= max;
  return m;
}
