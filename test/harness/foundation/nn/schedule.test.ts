import { describe, expect, it } from 'vitest';
import { constant, cosine, multistep, piecewiseLinear, warmup } from '../../../../harness/foundation/nn/schedule.ts';

describe('learning-rate schedules', () => {
  it('multistep: lr · gamma^(milestones reached), from the milestone epoch on (MultiStepLR)', () => {
    const s = multistep(0.003, [30, 50]); // TWINS
    expect(s(0)).toBeCloseTo(0.003, 12);
    expect(s(29.99)).toBeCloseTo(0.003, 12);
    expect(s(30)).toBeCloseTo(0.0003, 12);
    expect(s(55)).toBeCloseTo(0.00003, 12);
    expect(multistep(0.1, [40, 70, 90], 0.2)(95)).toBeCloseTo(0.1 * 0.2 ** 3, 12); // CARTL
  });

  it('cosine from lr to minLr, flat after the end', () => {
    expect(cosine(1, 10)(0)).toBe(1);
    expect(cosine(1, 10)(5)).toBeCloseTo(0.5, 12);
    expect(cosine(1, 10)(10)).toBeCloseTo(0, 12);
    expect(cosine(1, 10)(12)).toBeCloseTo(0, 12);
    expect(cosine(1, 10, 0.1)(5)).toBeCloseTo(0.55, 12);
  });

  it('linear warm-up from 0, then the wrapped schedule', () => {
    const s = warmup(1, multistep(0.1, [40, 70, 90], 0.2)); // CARTL: 1 warm-up epoch
    expect(s(0)).toBe(0);
    expect(s(0.5)).toBeCloseTo(0.05, 12);
    expect(s(1)).toBeCloseTo(0.1, 12);
    expect(s(40)).toBeCloseTo(0.02, 12);
    expect(constant(0.3)(123)).toBe(0.3);
  });

  it('piecewise-linear, flat outside the knots', () => {
    const s = piecewiseLinear([0, 2, 4], [0, 1, 0]);
    expect(s(-1)).toBe(0);
    expect(s(1)).toBeCloseTo(0.5, 12);
    expect(s(3.5)).toBeCloseTo(0.25, 12);
    expect(s(9)).toBe(0);
    expect(() => piecewiseLinear([0, 1], [0])).toThrow(/2 xs but 1 ys/);
  });
});
