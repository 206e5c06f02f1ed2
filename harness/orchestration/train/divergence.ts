/** A training loss that became NaN or infinite: the cell fails with where it happened, the suite goes on. */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly loss: number,
  ) {
    super(`diverged at epoch ${epoch}, step ${step} (loss ${loss})`);
  }
}
