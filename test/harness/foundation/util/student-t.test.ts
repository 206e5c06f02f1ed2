/** The t quantile against standard table values (95% and 99% two-sided; checked against scipy.stats.t.ppf). */
import { describe, expect, it } from 'vitest';
import { tTwoSidedProbability, tTwoSidedQuantile } from '../../../../harness/foundation/util/student-t.ts';

// df -> [t_0.975, t_0.995], from standard t tables.
const TABLE: Record<number, [number, number]> = {
  1: [12.706204736, 63.656741163],
  2: [4.30265273, 9.9248432],
  3: [3.182446305, 5.840909309],
  4: [2.776445105, 4.604094871],
  5: [2.570581836, 4.032142984],
  9: [2.262157163, 3.249835542],
  10: [2.228138852, 3.169272673],
  30: [2.042272456, 2.749995654],
  120: [1.979930405, 2.617421145],
};

describe('student t', () => {
  it('gives the tabulated 95% and 99% two-sided quantiles', () => {
    for (const [df, [t95, t99]] of Object.entries(TABLE)) {
      expect(tTwoSidedQuantile(0.95, Number(df))).toBeCloseTo(t95, 7);
      expect(tTwoSidedQuantile(0.99, Number(df))).toBeCloseTo(t99, 6);
    }
  });

  it('approaches the normal quantile for large df and is the Cauchy at df 1', () => {
    expect(tTwoSidedQuantile(0.95, 100000)).toBeCloseTo(1.959963985, 4);
    // df 1: P(|T| <= t) = (2/pi) atan(t).
    expect(tTwoSidedProbability(1, 1)).toBeCloseTo(0.5, 14);
    // df 2: P(|T| <= t) = t / sqrt(2 + t^2).
    expect(tTwoSidedProbability(3, 2)).toBeCloseTo(3 / Math.sqrt(11), 14);
  });

  it('inverts its own probability and rejects bad arguments', () => {
    for (const df of [1, 2, 7, 8]) expect(tTwoSidedProbability(tTwoSidedQuantile(0.9, df), df)).toBeCloseTo(0.9, 12);
    expect(() => tTwoSidedQuantile(0.95, 0)).toThrow(/df must be a positive integer/);
    expect(() => tTwoSidedQuantile(0.95, 2.5)).toThrow(/df must be a positive integer/);
    expect(() => tTwoSidedQuantile(1, 3)).toThrow(/level must be in \(0, 1\)/);
  });
});
