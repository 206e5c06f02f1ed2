/**
 * @module How our parameters are laid out compared with PyTorch's, so a checkpoint writer knows what to
 * transpose. Layers declare it statically (`static readonly torchLayout = { weight: 'conv' }`);
 * anything undeclared (BN affine and statistics, biases, buffers) is stored the same way in both.
 *
 * - `conv`: ours HWIO [kh, kw, in, out], PyTorch OIHW [out, in, kh, kw].
 * - `linear`: ours [in, out] (for matMul), PyTorch [out, in].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module.ts';

export type TorchLayout = 'conv' | 'linear' | 'plain';

/** What a layer class declares: own parameter name → layout. */
export type TorchLayoutTable = Readonly<Record<string, TorchLayout>>;

/** Axis permutations between the two layouts (for tf.transpose). */
export const TO_TORCH: Readonly<Record<TorchLayout, readonly number[] | undefined>> = {
  conv: [3, 2, 0, 1],
  linear: [1, 0],
  plain: undefined,
};
export const FROM_TORCH: Readonly<Record<TorchLayout, readonly number[] | undefined>> = {
  conv: [2, 3, 1, 0],
  linear: [1, 0],
  plain: undefined,
};

function declared(m: Module): TorchLayoutTable | undefined {
  return (m.constructor as { torchLayout?: TorchLayoutTable }).torchLayout;
}

/**
 * Layout of every state-dict key of `root`, as a lookup function with the signature checkpoint code
 * takes (`layoutOf(name, shape)`). Unknown names are `plain`.
 */
export function torchLayoutOf(root: Module): (name: string, shape?: readonly number[]) => TorchLayout {
  const table = new Map<string, TorchLayout>();
  for (const [prefix, m] of root.namedModules()) {
    for (const [param, layout] of Object.entries(declared(m) ?? {}))
      table.set(prefix ? `${prefix}.${param}` : param, layout);
  }
  return (name) => table.get(name) ?? 'plain';
}

/** PyTorch-side shape of one of our tensors. */
export function torchShape(shape: readonly number[], layout: TorchLayout): number[] {
  const perm = TO_TORCH[layout];
  return perm ? perm.map((p) => shape[p]) : [...shape];
}

/** Our tensor in PyTorch layout (a new tensor; the caller disposes it). */
export function toTorch(t: tf.Tensor, layout: TorchLayout): tf.Tensor {
  const perm = TO_TORCH[layout];
  return perm ? tf.transpose(t, [...perm]) : t.clone();
}

/** A PyTorch-layout tensor in our layout (a new tensor; the caller disposes it). */
export function fromTorch(t: tf.Tensor, layout: TorchLayout): tf.Tensor {
  const perm = FROM_TORCH[layout];
  return perm ? tf.transpose(t, [...perm]) : t.clone();
}
