/**
 * @module Shared tensor helpers for the attacks: per-example norms, normalisation, projection onto the
 * threat model, row selection by a per-example mask, and the seeded noise every attack starts from.
 * Everything here is synchronous; functions returning tensors are tidy and leave nothing else behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../harness/foundation/rng.ts';
import type { LogitsFn, Norm } from './types.ts';

/** The reference's guard against division by zero in every normalisation. */
export const TINY = 1e-12;

/** Per-example Lp norm of a batch, shaped [N,1,1,1] so it broadcasts against the batch. */
export function normOf(t: tf.Tensor4D, norm: Norm): tf.Tensor4D {
  return tf.tidy(() => {
    if (norm === 'Linf') return tf.max(tf.abs(t), [1, 2, 3], true) as tf.Tensor4D;
    return tf.sqrt(tf.sum(tf.square(t), [1, 2, 3], true)) as tf.Tensor4D;
  });
}

/** t / (||t|| + 1e-12) per example (AutoAttack's `normalize`). */
export function normalize(t: tf.Tensor4D, norm: Norm): tf.Tensor4D {
  return tf.tidy(() => tf.div(t, tf.add(normOf(t, norm), TINY)) as tf.Tensor4D);
}

/** Per-example norms of xAdv - x as plain numbers. */
export function perturbationNorms(x: tf.Tensor4D, xAdv: tf.Tensor4D, norm: Norm): Float32Array {
  const n = tf.tidy(() => tf.reshape(normOf(tf.sub(xAdv, x) as tf.Tensor4D, norm), [-1]));
  const out = n.dataSync() as Float32Array;
  n.dispose();
  return out;
}

/** Projects xAdv onto the eps-ball around x (Linf: clip; L2: radial shrink) and then onto [0,1]. */
export function projectToBall(x: tf.Tensor4D, xAdv: tf.Tensor4D, norm: Norm, eps: number): tf.Tensor4D {
  return tf.tidy(() => {
    let delta = tf.sub(xAdv, x) as tf.Tensor4D;
    if (norm === 'Linf') delta = tf.clipByValue(delta, -eps, eps);
    else delta = tf.mul(delta, tf.minimum(1, tf.div(eps, tf.add(normOf(delta, 'L2'), TINY)))) as tf.Tensor4D;
    return tf.clipByValue(tf.add(x, delta), 0, 1) as tf.Tensor4D;
  });
}

/** A [N] 0/1 array as a bool tensor shaped [N,1,1,1] (for tf.where on images) or [N]. */
export function maskTensor(mask: ArrayLike<number | boolean>, rank: 1 | 4 = 4): tf.Tensor {
  const flat = Uint8Array.from(mask as ArrayLike<number>, (v) => (v ? 1 : 0));
  const t = tf.tensor1d(flat, 'bool');
  if (rank === 1) return t;
  const r = tf.reshape(t, [-1, 1, 1, 1]);
  t.dispose();
  return r;
}

/**
 * Where mask[i] is set, row i of `a`, else row i of `b`; disposes `b` (the value being replaced) and
 * returns the new tensor. With an all-zero mask `b` is returned untouched (no copy).
 */
export function replaceRows<T extends tf.Tensor>(mask: ArrayLike<number | boolean>, a: T, b: T): T {
  let any = false;
  for (let i = 0; i < mask.length; i++)
    if (mask[i]) {
      any = true;
      break;
    }
  if (!any) return b;
  const out = tf.tidy(() => {
    const m = maskTensor(mask, 1);
    const shaped = a.rank === 1 ? m : tf.reshape(m, [-1, ...new Array(a.rank - 1).fill(1)]);
    return tf.where(shaped as tf.Tensor, a, b) as T;
  });
  b.dispose();
  return out;
}

/** Rows `idx` of a tensor (a new tensor). */
export function takeRows<T extends tf.Tensor>(t: T, idx: ArrayLike<number>): T {
  return tf.tidy(() => tf.gather(t, tf.tensor1d(Int32Array.from(idx), 'int32')) as T);
}

/**
 * A copy of `base` with rows `idx` replaced by the rows of `rows` (rows.shape[0] === idx.length).
 * Disposes neither input.
 */
export function scatterRows<T extends tf.Tensor>(base: T, idx: ArrayLike<number>, rows: T): T {
  return tf.tidy(() => {
    if (idx.length === 0) return tf.clone(base);
    const n = base.shape[0];
    const indices = tf.tensor2d(Int32Array.from(idx), [idx.length, 1], 'int32');
    const placed = tf.scatterND(indices, rows, base.shape);
    const hit = new Uint8Array(n);
    for (let i = 0; i < idx.length; i++) hit[idx[i]] = 1;
    const m = tf.reshape(tf.tensor1d(hit, 'bool'), [n, ...new Array(base.rank - 1).fill(1)]);
    return tf.where(m, placed, base) as T;
  });
}

/** Indices i with flags[i] set. */
export function indicesOf(flags: ArrayLike<number | boolean>): number[] {
  const out: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i]) out.push(i);
  return out;
}

/** Labels as a plain Int32Array. */
export function labelsOf(y: tf.Tensor1D): Int32Array {
  return Int32Array.from(y.dataSync());
}

/** Predicted classes (argmax of the logits), the logits never leaving the tidy. */
export function predict(model: LogitsFn, x: tf.Tensor4D): Int32Array {
  const p = tf.tidy(() => tf.argMax(model(x), 1));
  const out = Int32Array.from(p.dataSync());
  p.dispose();
  return out;
}

/** Logits as a plain array [N*K] with K. */
export function logitsOf(model: LogitsFn, x: tf.Tensor4D): { values: Float32Array; k: number } {
  const z = tf.tidy(() => model(x));
  const values = Float32Array.from(z.dataSync());
  const k = z.shape[1];
  z.dispose();
  return { values, k };
}

/**
 * The class ranked `rank` by logit per example (rank 1 = largest, 2 = runner-up, ...), as AutoAttack's
 * `output.sort(dim=1)[1][:, -rank]`. Ties keep the higher index first, as an ascending stable sort read
 * from the end does.
 */
export function rankedClass(values: Float32Array, k: number, rank: number): Int32Array {
  const n = values.length / k;
  const out = new Int32Array(n);
  const order = new Array<number>(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) order[j] = j;
    order.sort((a, b) => values[i * k + a] - values[i * k + b] || a - b);
    out[i] = order[k - rank];
  }
  return out;
}

/** Number of classes of the model, from one forward on the first example. */
export function numClassesOf(model: LogitsFn, x: tf.Tensor4D): number {
  const z = tf.tidy(() => model(tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D));
  const k = z.shape[1];
  z.dispose();
  return k;
}

/** A standard normal draw from the seeded stream (Box-Muller). */
export function gaussian(rng: Rng): number {
  let u = rng.next();
  while (u <= 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The attack's seeded stream; seeds are integers (wrapped to 32 bits). */
export function attackRng(name: string, seed: number): Rng {
  if (!Number.isInteger(seed)) throw new Error(`${name}: seed must be an integer, got ${seed}`);
  return new Rng(seed >>> 0);
}

/** Validates the numeric options every attack shares. */
export function assertPositive(name: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`${name}: ${k} must be a positive number, got ${v}`);
  }
}

export function assertCount(name: string, values: Record<string, number>, min = 1): void {
  for (const [k, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < min) throw new Error(`${name}: ${k} must be an integer >= ${min}, got ${v}`);
  }
}

export function assertNorm(name: string, norm: string): asserts norm is Norm {
  if (norm !== 'Linf' && norm !== 'L2') throw new Error(`${name}: norm must be 'Linf' or 'L2', got '${norm}'`);
}

/** Checks the batch the attack was given: NHWC, labels match, non-empty. */
export function assertBatch(name: string, x: tf.Tensor4D, y: tf.Tensor1D): void {
  if (x.rank !== 4) throw new Error(`${name}: x must be NHWC (rank 4), got rank ${x.rank}`);
  if (y.rank !== 1 || y.shape[0] !== x.shape[0]) {
    throw new Error(`${name}: y must be [${x.shape[0]}] labels, got shape [${y.shape}]`);
  }
}
