/**
 * judgeClaim on hand-computed cases: mean, sample sd, t quantile and interval per comparison, each verdict
 * for both directions, one seed -> inconclusive with the reason, and the claim-level aggregation.
 */
import { describe, expect, it } from 'vitest';
import {
  CLAIMS,
  ComparisonSchema,
  judgeClaim,
  judgeComparison,
  type Claim,
  type Comparison,
} from '../../../harness/protocol/papers/claims.ts';

const greater: Comparison = { better: 'rift', than: 'at', metric: 'clean', direction: 'greater' };
const within1: Comparison = { better: 'rift', than: 'at', metric: 'autoattack', direction: 'within', margin: 1 };
const claim = (comparisons: Comparison[]): Claim => ({
  id: 'test-claim',
  protocol: 'rift',
  paper: 'rift',
  statement: 's',
  citation: { paper: 'rift', where: 'abstract' },
  comparisons,
});

describe('judgeComparison', () => {
  it('computes mean, sd and the 95% t interval by hand: [2, 3, 4, 3]', () => {
    // mean 3, sd sqrt(2/3), se sqrt(2/3)/2, t(0.975, 3) = 3.182446305 -> half width 1.299230
    const j = judgeComparison(greater, [2, 3, 4, 3]);
    expect(j.n).toBe(4);
    expect(j.mean).toBeCloseTo(3, 12);
    expect(j.sd).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(j.df).toBe(3);
    expect(j.tCritical).toBeCloseTo(3.182446305, 8);
    const half = (3.182446305 * Math.sqrt(2 / 3)) / 2;
    expect(j.ciLow).toBeCloseTo(3 - half, 7);
    expect(j.ciHigh).toBeCloseTo(3 + half, 7);
    expect(j.verdict).toBe('supported');
    expect(j.reason).toMatch(
      /rift vs at on clean: mean 3\.00 points, 95% CI \[1\.70, 4\.30\] over 4 seeds; CI above 0\.00/,
    );
  });

  it("'greater': contradicted when the interval is below the margin, inconclusive when it contains it", () => {
    expect(judgeComparison(greater, [-2, -3, -4, -3]).verdict).toBe('contradicted');
    // [1, 2, 3]: mean 2, sd 1, t(2) = 4.302653 -> [-0.484, 4.484] contains 0.
    const j = judgeComparison(greater, [1, 2, 3]);
    expect(j.ciLow).toBeCloseTo(2 - 4.30265273 / Math.sqrt(3), 7);
    expect(j.verdict).toBe('inconclusive');
    // A margin moves the bar: [1.70, 4.30] is not all above 2.
    expect(judgeComparison({ ...greater, margin: 2 }, [2, 3, 4, 3]).verdict).toBe('inconclusive');
    expect(judgeComparison({ ...greater, margin: 1.5 }, [2, 3, 4, 3]).verdict).toBe('supported');
  });

  it("'within': supported inside [-m, m], contradicted entirely outside, inconclusive across", () => {
    // [0.1, -0.1, 0.2, -0.2, 0]: mean 0, sd sqrt(0.025), t(4) = 2.776445 -> half 0.19632
    const inside = judgeComparison(within1, [0.1, -0.1, 0.2, -0.2, 0]);
    expect(inside.ciHigh).toBeCloseTo((2.776445105 * Math.sqrt(0.025)) / Math.sqrt(5), 7);
    expect(inside.verdict).toBe('supported');
    // [3, 3.5, 2.5]: mean 3, sd 0.5, t(2) -> [1.758, 4.242], all above 1.
    const outside = judgeComparison(within1, [3, 3.5, 2.5]);
    expect(outside.ciLow).toBeCloseTo(3 - (4.30265273 * 0.5) / Math.sqrt(3), 7);
    expect(outside.verdict).toBe('contradicted');
    expect(judgeComparison(within1, [-3, -3.5, -2.5]).verdict).toBe('contradicted');
    // [0, 2]: mean 1, sd sqrt(2), t(1) = 12.706 -> [-11.7, 13.7].
    expect(judgeComparison(within1, [0, 2]).verdict).toBe('inconclusive');
  });

  it('zero spread gives a point interval', () => {
    const j = judgeComparison(greater, [1, 1, 1]);
    expect([j.ciLow, j.ciHigh, j.verdict]).toEqual([1, 1, 'supported']);
  });

  it('one seed is inconclusive and says why; no seeds likewise; a NaN is an error naming the seed', () => {
    const one = judgeComparison(greater, [5]);
    expect(one.verdict).toBe('inconclusive');
    expect(one.mean).toBe(5);
    expect([one.sd, one.ciLow, one.ciHigh, one.tCritical]).toEqual([null, null, null, null]);
    expect(one.reason).toBe('rift vs at on clean: 1 seed; a confidence interval needs at least 2');
    expect(judgeComparison(greater, []).reason).toMatch(/no seeds/);
    expect(() => judgeComparison(greater, [1, Number.NaN])).toThrow(/rift vs at on clean: seed 1 difference is NaN/);
  });
});

describe('judgeClaim', () => {
  const c = claim([greater, within1]);

  it('is supported only when every comparison is', () => {
    const j = judgeClaim(c, [
      [2, 3, 4, 3],
      [0.1, -0.1, 0.2, -0.2, 0],
    ]);
    expect(j.verdict).toBe('supported');
    expect(j.reason).toBe('all 2 comparisons supported');
    expect(j.comparisons.map((x) => x.verdict)).toEqual(['supported', 'supported']);
  });

  it('is contradicted when any comparison is, and says which', () => {
    const j = judgeClaim(c, [
      [2, 3, 4, 3],
      [3, 3.5, 2.5],
    ]);
    expect(j.verdict).toBe('contradicted');
    expect(j.reason).toMatch(/^rift vs at on autoattack: .*entirely outside \[-1\.00, 1\.00\]$/);
  });

  it('is inconclusive otherwise, e.g. with one seed', () => {
    const j = judgeClaim(c, [[2], [0]]);
    expect(j.verdict).toBe('inconclusive');
    expect(j.reason).toMatch(/1 seed; a confidence interval needs at least 2/);
  });

  it('rejects a list of differences that does not match the comparisons', () => {
    expect(() => judgeClaim(c, [[1, 2]])).toThrow(
      /claim 'test-claim' has 2 comparisons but 1 lists of differences were given/,
    );
  });

  it("works on the seed papers' claims", () => {
    const rift = CLAIMS.find((x) => x.id === 'rift-generalizes-at-same-robustness');
    expect(rift?.comparisons.map((x) => `${x.metric}:${x.direction}`)).toEqual([
      'clean:greater',
      'corruption:greater',
      'autoattack:within',
    ]);
    const j = judgeClaim(rift as Claim, [
      [1.2, 1.6, 1.4],
      [1.1, 1.9, 1.5],
      [0.2, -0.1, 0.1],
    ]);
    expect(j.verdict).toBe('supported');
  });
});

describe('claim schema', () => {
  it("needs a margin for 'within' and two different methods", () => {
    expect(ComparisonSchema.safeParse({ ...within1, margin: undefined }).success).toBe(false);
    expect(ComparisonSchema.safeParse({ ...greater, than: 'rift' }).success).toBe(false);
    expect(ComparisonSchema.safeParse({ ...greater, metric: 'accuracy' }).success).toBe(false);
  });
});
