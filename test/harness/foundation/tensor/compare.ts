/**
 * Helpers for checking a wasm kernel against the cpu backend: inputs live as plain host arrays and are
 * uploaded on each backend separately (a tensor made on cpu and read on wasm can be misread), one
 * kernel runs on fixed inputs, and outputs are compared relative to the reference's largest value.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { Rng } from '../../../../harness/foundation/rng.ts';

export type HostDtype = 'float32' | 'int32' | 'bool';

export interface HostTensor {
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: HostDtype;
}

export function randomTensor(shape: number[], rng: Rng, lo = -1, hi = 1): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { values: Float32Array.from({ length: size }, () => lo + (hi - lo) * rng.next()), shape, dtype: 'float32' };
}

function upload(t: HostTensor): tf.Tensor {
  return tf.tensor(t.values, t.shape, t.dtype);
}

async function download(t: tf.Tensor): Promise<HostTensor> {
  return { values: (await t.data()) as HostTensor['values'], shape: t.shape, dtype: t.dtype as HostDtype };
}

/** Runs one kernel on `backend` with freshly uploaded inputs; frees everything it made. */
export async function runKernelOn(
  backend: 'cpu' | 'wasm',
  kernel: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap = {},
): Promise<HostTensor> {
  await tf.setBackend(backend);
  const ins = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, upload(v)]));
  const out = tf.engine().runKernel(kernel, ins, attrs) as tf.Tensor;
  try {
    return await download(out);
  } finally {
    tf.dispose([out, ...Object.values(ins)]);
  }
}

/** Runs `f` on `backend` with freshly uploaded inputs and returns every output tensor's values. */
export async function runOn(
  backend: 'cpu' | 'wasm',
  inputs: HostTensor[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<HostTensor[]> {
  await tf.setBackend(backend);
  const ins = inputs.map(upload);
  const outs = tf.tidy(() => f(...ins));
  try {
    return await Promise.all(outs.map(download));
  } finally {
    tf.dispose([...outs, ...ins]);
  }
}

/** max |a - b| / max |b| (absolute when b is all zeros). */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(actual[i] - expected[i]));
  return scale > 0 ? err / scale : err;
}

export function expectClose(actual: HostTensor, expected: HostTensor, tolerance = 1e-4, label = ''): void {
  expect(actual.shape, `${label} shape`).toEqual(expected.shape);
  expect(actual.dtype, `${label} dtype`).toBe(expected.dtype);
  expect(maxRelError(actual.values, expected.values), `${label} max relative error`).toBeLessThan(tolerance);
}
