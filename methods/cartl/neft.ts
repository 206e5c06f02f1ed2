/**
 * @module CARTL's Non-Expansive Fine-Tuning on a model: every Conv2d/Linear under the fine-tuned block
 * prefixes is wrapped in a SpectralNorm (W* = beta * W / sigma(W)); after training the wrappers are
 * baked back into plain layers, so the returned model has the source's layout.
 */
import { Conv2d } from '../../harness/foundation/nn/conv.ts';
import { Linear } from '../../harness/foundation/nn/linear.ts';
import type { Module } from '../../harness/foundation/nn/module.ts';
import { SpectralNorm } from '../../harness/foundation/nn/spectral-norm.ts';
import type { Rng } from '../../harness/foundation/rng.ts';

export const within = (name: string, prefixes: readonly string[]) =>
  prefixes.some((p) => name === p || name.startsWith(`${p}.`));

/** Wraps the Conv2d/Linear layers under `prefixes`; returns their names. */
export function applyNeft(model: Module, prefixes: readonly string[], beta: number, rng: Rng): string[] {
  const names: string[] = [];
  model.replace(
    (m, name) => (m instanceof Conv2d || m instanceof Linear) && within(name, prefixes),
    (m, name) => {
      names.push(name);
      return new SpectralNorm(m as Conv2d | Linear, { beta, seed: rng.nextSeed() });
    },
    // The wrapper keeps the layer as its child: it must not be disposed.
    { keepOld: true },
  );
  return names;
}

/** Replaces every SpectralNorm by a plain layer holding its effective weight; returns how many. */
export function bakeNeft(model: Module): number {
  return model.replace(
    (m) => m instanceof SpectralNorm,
    (m) => (m as SpectralNorm).toPlain(),
  );
}
