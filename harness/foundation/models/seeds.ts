/** @module Per-layer init seeds: distinct and reproducible for each layer of one model. */

/** Successive seeds for the layers of a model built from `seed`, in construction order. */
export function seedStream(seed: number): () => number {
  let i = 0;
  return () => (seed * 1009 + 17 * ++i) % 2147483647;
}
