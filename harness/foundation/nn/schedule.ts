/**
 * @module Learning-rate schedules as pure functions of a (possibly fractional) epoch, or of a step if
 * the caller counts in steps: pass milestones and lengths in the same unit.
 */

export type Schedule = (epoch: number) => number;

export function constant(lr: number): Schedule {
  return () => lr;
}

/** lr · gamma^(number of milestones reached), as torch MultiStepLR. */
export function multistep(lr: number, milestones: readonly number[], gamma = 0.1): Schedule {
  return (epoch) => lr * gamma ** milestones.filter((m) => epoch >= m).length;
}

/** Cosine annealing from lr to minLr over `epochs` (CosineAnnealingLR's closed form), minLr after. */
export function cosine(lr: number, epochs: number, minLr = 0): Schedule {
  return (epoch) =>
    minLr + 0.5 * (lr - minLr) * (1 + Math.cos((Math.PI * Math.min(Math.max(epoch, 0), epochs)) / epochs));
}

/** Linear warm-up from 0 to `after(warmup)` over the first `warmup` epochs, then `after`. */
export function warmup(warmupEpochs: number, after: Schedule): Schedule {
  return (epoch) => (epoch < warmupEpochs ? (after(epoch) * Math.max(epoch, 0)) / warmupEpochs : after(epoch));
}

/** Piecewise-linear through (xs[i], ys[i]), flat outside (one-cycle triangles for fast adversarial training). */
export function piecewiseLinear(xs: readonly number[], ys: readonly number[]): Schedule {
  if (xs.length !== ys.length || xs.length === 0)
    throw new Error(`piecewiseLinear: ${xs.length} xs but ${ys.length} ys`);
  return (epoch) => {
    if (epoch <= xs[0]) return ys[0];
    for (let i = 1; i < xs.length; i++) {
      if (epoch <= xs[i]) return ys[i - 1] + ((ys[i] - ys[i - 1]) * (epoch - xs[i - 1])) / (xs[i] - xs[i - 1]);
    }
    return ys[ys.length - 1];
  };
}
