/**
 * @module FGSM (Goodfellow et al., "Explaining and Harnessing Adversarial Examples", ICLR 2015,
 * https://arxiv.org/abs/1412.6572): one signed-gradient step of size eps on the cross-entropy.
 * Distance measure: Linf. With `randomStart` and step 1.25 eps it is the FGSM-RS of fast adversarial
 * training (Wong et al., 2020), i.e. one-step PGD from a uniform start.
 *
 * @example
 * const { xAdv } = fgsm({ eps: 8 / 255 }).run(logits, x, y, 0);
 */
import { pgd } from './pgd.ts';
import type { Attack } from './types.ts';

export interface FgsmOptions {
  /** @default 8/255 */
  readonly eps: number;
  /** @default false */
  readonly randomStart: boolean;
  /** Step size. @default eps, or 1.25 eps with randomStart */
  readonly alpha?: number;
}

export function fgsm({ eps = 8 / 255, randomStart = false, alpha }: Partial<FgsmOptions> = {}): Attack {
  const inner = pgd({
    norm: 'Linf',
    eps,
    alpha: alpha ?? (randomStart ? 1.25 * eps : eps),
    steps: 1,
    randomStart,
    restarts: 1,
  });
  return { ...inner, id: randomStart ? 'fgsm-rs' : 'fgsm' };
}
