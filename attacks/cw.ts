/**
 * @module CW-Linf: PGD on the Carlini-Wagner margin loss (Carlini & Wagner, "Towards Evaluating the
 * Robustness of Neural Networks", S&P 2017, https://arxiv.org/abs/1608.04644), the "CW∞" column of
 * robust-training papers (TRADES, MART): ascend max_{i!=y} z_i - z_y, capped once the margin passes
 * -kappa, with Linf PGD steps. Distance measure: Linf (L2 also accepted).
 *
 * @example
 * const { xAdv } = cw({ eps: 8 / 255, steps: 20 }).run(logits, x, y, seed);
 */
import { pgd, type PgdOptions } from './pgd.ts';
import type { Attack } from './types.ts';

export type CwOptions = Omit<PgdOptions, 'loss'>;

/** Defaults: Linf 8/255, step 2/255, 20 steps, random start, kappa 50, 1 restart. */
export const CW_DEFAULTS: CwOptions = {
  norm: 'Linf',
  eps: 8 / 255,
  alpha: 2 / 255,
  steps: 20,
  randomStart: true,
  restarts: 1,
  kappa: 50,
};

export function cw(options: Partial<CwOptions> = {}): Attack {
  const inner = pgd({ ...CW_DEFAULTS, ...options, loss: 'cw' });
  return { ...inner, id: `cw-${inner.norm.toLowerCase()}` };
}
