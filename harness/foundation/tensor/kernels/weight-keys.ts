/**
 * @module A number for each tensor's data (its dataId), never given to another in this JS thread: the key under
 * which the native kernels keep a weight's transformed filter (../native/filter_cache.cc). tfjs never changes
 * the data behind a dataId (a variable's assign moves it to a new one), so equal keys mean equal weights.
 * When the backend frees a keyed tensor's data, the key is released: the cache turns that transform's storage
 * into a spare for the next one (a training step's new weights reuse the last step's storage).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { releaseFilter } from '../native/native-kernels.ts';
import type { WasmBackend } from './wasm-internals.ts';

const keys = new WeakMap<object, number>();
const watched = new WeakSet<object>();
let next = 0;

/** Wraps the backend's disposeData once, so freeing a keyed tensor's data releases its key. */
function watchDisposals(b: WasmBackend): void {
  if (watched.has(b)) return;
  watched.add(b);
  const dispose = b.disposeData.bind(b);
  b.disposeData = (dataId: object, force?: boolean) => {
    const freed = dispose(dataId, force);
    const key = keys.get(dataId);
    // disposeData also says true for data it never held; the key goes only once the data is gone.
    if (freed && key !== undefined && !b.dataIdMap.has(dataId)) {
      keys.delete(dataId);
      releaseFilter(key);
    }
    return freed;
  };
}

export function weightKey(b: WasmBackend, t: TensorInfo): number {
  let key = keys.get(t.dataId);
  if (key === undefined) {
    watchDisposals(b);
    key = next++;
    keys.set(t.dataId, key);
  }
  return key;
}
