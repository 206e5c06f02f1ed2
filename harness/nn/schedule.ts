/** @module Learning-rate schedules as pure functions of a (fractional) epoch. */

export type Schedule = (epoch: number) => number;

/** lr * gamma^(number of milestones passed), as torch MultiStepLR. */
export function multistep(lr: number, milestones: number[], gamma = 0.1): Schedule {
  return (epoch) => lr * gamma ** milestones.filter((m) => epoch >= m).length;
}

/** Cosine annealing from lr to 0 over `epochs`. */
export function cosine(lr: number, epochs: number): Schedule {
  return (epoch) => 0.5 * lr * (1 + Math.cos((Math.PI * Math.min(epoch, epochs)) / epochs));
}

/** Linear warm-up from 0 over `warmup` epochs, then `after`. */
export function warmup(warmupEpochs: number, after: Schedule): Schedule {
  return (epoch) => (epoch < warmupEpochs ? (after(epoch) * epoch) / warmupEpochs : after(epoch));
}

/** Piecewise-linear through (xs[i], ys[i]) (one-cycle triangles for fast adversarial training). */
export function piecewiseLinear(xs: number[], ys: number[]): Schedule {
  return (epoch) => {
    if (epoch <= xs[0]) return ys[0];
    for (let i = 1; i < xs.length; i++) {
      if (epoch <= xs[i]) return ys[i - 1] + ((ys[i] - ys[i - 1]) * (epoch - xs[i - 1])) / (xs[i] - xs[i - 1]);
    }
    return ys[ys.length - 1];
  };
}
