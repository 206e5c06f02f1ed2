/**
 * Test helper: picks a tfjs backend for a test file. Defaults to the pure-JS cpu backend, the
 * reference every registered wasm kernel is checked against.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../harness/tensor/setup.ts';

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}
