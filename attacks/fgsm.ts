/**
 * @module FGSM (Goodfellow et al., "Explaining and Harnessing Adversarial Examples", 2015): one signed
 * gradient step of size eps. With `randomStart` and step 1.25 eps it is the FGSM-RS of fast adversarial
 * training (Wong et al., 2020), i.e. one-step PGD.
 */
import { pgd } from './pgd.ts';
import type { Attack } from './types.ts';

export function fgsm({ eps = 8 / 255, randomStart = false, alpha }: { eps?: number; randomStart?: boolean; alpha?: number } = {}): Attack {
  const inner = pgd({ norm: 'Linf', eps, alpha: alpha ?? (randomStart ? 1.25 * eps : eps), steps: 1, randomStart, restarts: 1 });
  return { ...inner, id: randomStart ? 'fgsm-rs' : 'fgsm' };
}
