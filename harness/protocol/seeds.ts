/**
 * @module The seeds an evaluation derives from its own seed: batch b of an attack is attacked with
 * derivedSeed(seed, b), independent of other batches, and AutoAttack as a whole with derivedSeed(seed, 104729).
 */

export const derivedSeed = (seed: number, stream: number) => seed * 7919 + stream;

/** Batch `batch` of an attack run with seed `seed`. */
export const batchSeed = (seed: number, batch: number) => derivedSeed(seed, batch);

/** AutoAttack's seed in an evaluation with seed `seed` (PGD uses `seed` itself). */
export const autoAttackSeed = (seed: number) => derivedSeed(seed, 104729);
