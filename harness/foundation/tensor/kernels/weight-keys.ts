/**
 * @module A number for each tensor's data (its dataId), never given to another in this JS thread: the key under
 * which the native kernels keep a weight's transformed filter (../native/filter_cache.cc). tfjs never changes
 * the data behind a dataId (a variable's assign moves it to a new one), so equal keys mean equal weights.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';

const keys = new WeakMap<object, number>();
let next = 0;

export function weightKey(t: TensorInfo): number {
  let key = keys.get(t.dataId);
  if (key === undefined) {
    key = next++;
    keys.set(t.dataId, key);
  }
  return key;
}
