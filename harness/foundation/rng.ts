/**
 * @module Seeded randomness. Every random choice in a run flows from one recorded seed through
 * `Rng.fork(label)`, so adding a new random draw in one place never shifts the numbers drawn elsewhere.
 */

/** splitmix32-style hash of a string label into 32 bits. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`Rng: seed must be a non-negative integer, got ${seed}`);
    this.state = (seed ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The generator's position (32 bits): `setState` puts a stream back where it was (training checkpoints). */
  getState(): number {
    return this.state;
  }

  setState(state: number): void {
    if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) {
      throw new Error(`Rng: state must be a 32-bit unsigned integer, got ${state}`);
    }
    this.state = state;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A fresh 31-bit seed, for APIs that take a number (tf.randomUniform, child RNGs). */
  nextSeed(): number {
    return Math.floor(this.next() * 0x7fffffff);
  }

  /** An independent stream named by `label`, unaffected by how many draws this one has made. */
  fork(label: string): Rng {
    return new Rng(
      (Math.imul(this.seed ^ hashLabel(label), 0x85ebca6b) >>> 1) ^ (hashLabel(`${label}#${this.seed}`) >>> 1),
    );
  }

  /** Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
