/**
 * @module FAB's projection step: the smallest perturbation d (Linf or L2) that puts t + d on the
 * hyperplane w·z = b while staying in the box [0,1]^D. For either norm the optimum moves coordinate i
 * against the sign of w_i (towards the hyperplane) by min(r, u_i), u_i being the room left to the box
 * edge in that direction: Linf uses one radius r for all coordinates, L2 a radius proportional to |w_i|
 * (the KKT point clip(-a w, -t, 1-t)). The total progress is piecewise linear and increasing in the
 * radius, so sorting the breakpoints gives the exact solution. When even the box corner cannot reach the
 * hyperplane, the corner is returned (the most progress possible), as in fra31/auto-attack.
 *
 * Plain arrays, one row at a time, float64 arithmetic.
 */
import type { Norm } from './types.ts';

export type ProjectionNorm = Norm;

/** Coordinates with |w_i| at or below this do not move (the reference: w != 0 for Linf, |w| > 1e-8 for L2). */
const ZERO_W: Record<ProjectionNorm, number> = { Linf: 0, L2: 1e-8 };

/**
 * Minimal-norm d with w·(t + d) = b and 0 <= t + d <= 1, or the box corner closest to the hyperplane
 * when that set is empty. `t` must lie in [0,1]. Writes into `out` (length D) and returns it.
 */
export function projectOntoHyperplaneBox(
  norm: ProjectionNorm,
  t: ArrayLike<number>,
  w: ArrayLike<number>,
  b: number,
  out: Float64Array = new Float64Array(t.length),
): Float64Array {
  const dim = t.length;
  let c = -b;
  for (let i = 0; i < dim; i++) c += w[i] * t[i];
  // Move so that s * w·z decreases by |c|, s the side t is on (c >= 0 counts as the positive side).
  const s = c >= 0 ? 1 : -1;
  const need = Math.abs(c);
  const zero = ZERO_W[norm];
  // For moving coordinates: a = |w_i|, u = room to the box edge in the direction that lowers s*w·z,
  // k = the radius at which the coordinate hits that edge (Linf: u; L2: u / |w_i|).
  const idx: number[] = [];
  const a = new Float64Array(dim);
  const u = new Float64Array(dim);
  const knot = new Float64Array(dim);
  let capacity = 0;
  for (let i = 0; i < dim; i++) {
    out[i] = 0;
    const wi = s * w[i];
    if (Math.abs(wi) <= zero) continue;
    a[i] = Math.abs(wi);
    u[i] = wi > 0 ? t[i] : 1 - t[i];
    if (u[i] < 0) u[i] = 0;
    knot[i] = norm === 'Linf' ? u[i] : u[i] / a[i];
    capacity += a[i] * u[i];
    idx.push(i);
  }
  const direction = (i: number) => (s * w[i] > 0 ? -1 : 1);
  if (capacity <= need) {
    // The hyperplane is out of reach inside the box (or just reached at the corner): go to the corner.
    for (const i of idx) out[i] = direction(i) * u[i];
    return out;
  }
  idx.sort((p, q) => knot[p] - knot[q]);
  // progress(r) = sum over saturated of a u + r * sum over free of (Linf: a, L2: a^2).
  let saturated = 0;
  let slope = 0;
  for (const i of idx) slope += norm === 'Linf' ? a[i] : a[i] * a[i];
  let r = 0;
  let start = 0;
  for (let j = 0; j <= idx.length; j++) {
    const nextKnot = j < idx.length ? knot[idx[j]] : Infinity;
    const atNext = saturated + slope * nextKnot;
    if (atNext >= need || j === idx.length) {
      r = slope > 0 ? (need - saturated) / slope : start;
      break;
    }
    const i = idx[j];
    saturated += a[i] * u[i];
    slope -= norm === 'Linf' ? a[i] : a[i] * a[i];
    start = nextKnot;
  }
  if (r < 0) r = 0;
  for (const i of idx) {
    const move = norm === 'Linf' ? r : r * a[i];
    out[i] = direction(i) * Math.min(move, u[i]);
  }
  return out;
}
