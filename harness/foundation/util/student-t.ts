/**
 * @module Student's t distribution for integer degrees of freedom (seeds - 1): the two-sided probability
 * P(|T| <= t) in closed form (Abramowitz & Stegun 26.7.3-4, finite sums in cos(theta), theta = atan(t/sqrt(df))),
 * and its quantile by bisection, which is exact to ~1e-12 and needs no special functions.
 */

/** P(|T| <= t) for T ~ t(df), df a positive integer, t >= 0. */
export function tTwoSidedProbability(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`student-t: df must be a positive integer (got ${df})`);
  if (!(t >= 0)) throw new Error(`student-t: t must be >= 0 (got ${t})`);
  if (t === Infinity) return 1;
  const theta = Math.atan(t / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  if (df % 2 === 1) {
    // Odd df: (2/pi) [theta + sin(theta) (cos + (2/3) cos^3 + (2*4)/(3*5) cos^5 + ... up to cos^(df-2))].
    if (df === 1) return (2 * theta) / Math.PI;
    let term = Math.cos(theta);
    let sum = term;
    for (let k = 3; k <= df - 2; k += 2) {
      term *= (c2 * (k - 1)) / k;
      sum += term;
    }
    return (2 / Math.PI) * (theta + s * sum);
  }
  // Even df: sin(theta) [1 + (1/2) cos^2 + (1*3)/(2*4) cos^4 + ... up to cos^(df-2)].
  let term = 1;
  let sum = 1;
  for (let k = 2; k <= df - 2; k += 2) {
    term *= (c2 * (k - 1)) / k;
    sum += term;
  }
  return s * sum;
}

/** The t with P(|T| <= t) = level, e.g. level 0.95 gives the 97.5% quantile used by a 95% interval. */
export function tTwoSidedQuantile(level: number, df: number): number {
  if (!(level > 0 && level < 1)) throw new Error(`student-t: level must be in (0, 1) (got ${level})`);
  let lo = 0;
  let hi = 1;
  while (tTwoSidedProbability(hi, df) < level) hi *= 2;
  // 200 halvings reach the float resolution of any t below 2^60.
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tTwoSidedProbability(mid, df) < level) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
