/**
 * Test helper: central finite differences in float32 against analytic gradients. With the steps
 * measured after float32 rounding, a loss linear in the variable is checked almost exactly; a
 * nonlinear one to O(h²).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** d loss / d v[i] for each index, by (loss(v + h e_i) − loss(v − h e_i)) / (2h). Restores v. */
export function numericGrad(loss: () => number, v: tf.Variable, indices: readonly number[], h: number): number[] {
  const values = Float32Array.from(v.dataSync() as Float32Array);
  const set = (i: number, x: number) => {
    values[i] = x;
    const t = tf.tensor(values, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  };
  return indices.map((i) => {
    const orig = values[i];
    const up = Math.fround(orig + h);
    const down = Math.fround(orig - h);
    set(i, up);
    const lUp = loss();
    set(i, down);
    const lDown = loss();
    set(i, orig);
    return (lUp - lDown) / (up - down);
  });
}

/** Scalar value of a loss run in its own tidy. */
export const value = (f: () => tf.Tensor) => () => tf.tidy(() => f().dataSync()[0]);

/** |numeric − analytic| <= rel · max(|analytic|, |numeric|) + abs, element by element. */
export function expectGradClose(
  label: string,
  numeric: readonly number[],
  analytic: ArrayLike<number>,
  indices: readonly number[],
  rel: number,
  abs: number,
): void {
  indices.forEach((idx, k) => {
    const a = analytic[idx];
    const n = numeric[k];
    expect(Math.abs(n - a), `${label}[${idx}]: numeric ${n} vs analytic ${a}`).toBeLessThanOrEqual(
      rel * Math.max(Math.abs(a), Math.abs(n)) + abs,
    );
  });
}

export const allIndices = (v: tf.Tensor) => Array.from({ length: v.size }, (_, i) => i);
