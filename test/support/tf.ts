/**
 * Test helpers: pick a tfjs backend for a test file. `useCpuBackend()` is the pure-JS reference every
 * registered wasm kernel is checked against; `useBackend()` runs the real selection (wasm with threads
 * and our kernels here) and `releaseBackend()` ends the wasm thread pool so the test process can exit.
 *
 * @example
 * beforeAll(() => useBackend('wasm'));
 * afterAll(releaseBackend);
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../harness/foundation/tensor/setup.ts';
import {
  initBackend,
  shutdownBackend,
  type BackendInfo,
  type BackendName,
} from '../../harness/foundation/tensor/backend.ts';

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Initialises the backend as the harness does (forced to `name` if given) and makes it current. */
export async function useBackend(name?: BackendName, threads?: number): Promise<BackendInfo> {
  const info = await initBackend({ backend: name, threads });
  await tf.setBackend(info.name === 'tensorflow-gpu' ? 'tensorflow' : info.name);
  await tf.ready();
  return info;
}

/** For afterAll: ends the wasm thread pool (Node does not exit while it lives). */
export async function releaseBackend(): Promise<void> {
  await shutdownBackend();
}
