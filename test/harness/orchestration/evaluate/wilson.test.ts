import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../../../harness/orchestration/evaluate/wilson.ts';

describe('wilsonInterval', () => {
  it('matches known values', () => {
    // 50 of 100: 0.4038..0.5962 (standard Wilson 95% interval).
    const [lo, hi] = wilsonInterval(50, 100);
    expect(lo).toBeCloseTo(0.4038, 3);
    expect(hi).toBeCloseTo(0.5962, 3);
    // 0 of 10: upper bound 0.2775, lower 0.
    const [lo0, hi0] = wilsonInterval(0, 10);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.2775, 3);
  });

  it('narrows as n grows and always contains the estimate', () => {
    const a = wilsonInterval(90, 100);
    const b = wilsonInterval(900, 1000);
    expect(b[1] - b[0]).toBeLessThan(a[1] - a[0]);
    for (const [k, n] of [
      [1, 3],
      [97, 100],
      [1000, 1000],
    ] as const) {
      const [lo, hi] = wilsonInterval(k, n);
      expect(lo).toBeLessThanOrEqual(k / n);
      expect(hi).toBeGreaterThanOrEqual(k / n);
    }
  });
});
