/**
 * @module Tile for the wasm backend as block copies. The stock kernel costs ~85 ns per element, and
 * the BatchNorm gradient tiles [1,1,1,C] to [N,H,W,C] several times a step. Working from the last axis
 * outwards, each axis repeats whole contiguous blocks with TypedArray.set.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { stockKernel, stockSetup, type WasmBackend } from './wasm-internals.ts';

type Typed = Float32Array | Int32Array | Uint8Array;

/** Pure function, exported for tests: tiles `src` of `shape` by `reps` into `out`. */
export function tileInto(src: Typed, shape: readonly number[], reps: readonly number[], out: Typed): void {
  let data: Typed = src;
  const cur = [...shape];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const r = reps[axis];
    if (r === 1) continue;
    let inner = 1;
    for (let i = axis; i < cur.length; i++) inner *= cur[i];
    let outer = 1;
    for (let i = 0; i < axis; i++) outer *= cur[i];
    const last = reps.slice(0, axis).every((x) => x === 1);
    const next: Typed = last ? out : new (data.constructor as new (n: number) => Typed)(outer * inner * r);
    for (let o = 0; o < outer; o++) {
      const block = data.subarray(o * inner, (o + 1) * inner);
      for (let k = 0; k < r; k++) next.set(block, (o * r + k) * inner);
    }
    data = next;
    cur[axis] *= r;
  }
  if (data !== out) out.set(data);
}

export const tileConfig: KernelConfig = {
  kernelName: 'Tile',
  backendName: 'wasm',
  setupFunc: stockSetup('Tile'),
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    if (x.dtype === 'string') return stockKernel('Tile').kernelFunc(args);
    const reps = (attrs as unknown as { reps: number[] }).reps;
    const b = backend as unknown as WasmBackend;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = b.makeOutput(outShape, x.dtype);
    // Views after the allocation above: a heap growth would detach earlier ones.
    tileInto(b.typedArrayFromHeap(x), x.shape, reps, b.typedArrayFromHeap(out));
    return out;
  },
};
