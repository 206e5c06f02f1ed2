/**
 * Without the native kernels, when the threaded wasm module cannot start, wasm runs on one thread (SIMD, our
 * kernels) and the record says why; with them, XNNPACK never starts its threads and theirs get the count.
 * RFTBENCH_THREADS must be a positive integer.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend, shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { nativeKernels, setNativeKernelsEnabled } from '../../../../harness/foundation/tensor/native/native-kernels.ts';

vi.mock('../../../../harness/foundation/tensor/wasm-threads.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../../harness/foundation/tensor/wasm-threads.ts')>()),
  registerThreadedWasm: () => Promise.reject(new Error('simulated: no worker_threads')),
}));

afterAll(shutdownBackend);

describe('threads fallback', () => {
  it('rejects a bad RFTBENCH_THREADS before loading anything', async () => {
    vi.stubEnv('RFTBENCH_THREADS', 'two');
    await expect(initBackend({ backend: 'wasm' })).rejects.toThrow(
      "RFTBENCH_THREADS: expected a positive integer, got 'two'",
    );
    vi.unstubAllEnvs();
  });

  it.runIf(nativeKernels())(
    'with the native kernels: their threads, XNNPACK on one, no threaded module tried',
    async () => {
      const info = await initBackend({ backend: 'wasm', threads: 2 });
      expect(info).toMatchObject({ name: 'wasm', threads: 2, simd: true });
      expect(info.nativeKernels).toMatch(/, 2 threads \(XNNPACK on 1\)$/);
      expect(info.attempts).toEqual([{ name: 'wasm', ok: true }]);
      await shutdownBackend();
    },
  );

  it('without them, falls back to one thread and records why', async () => {
    setNativeKernelsEnabled(false);
    const info = await initBackend({ backend: 'wasm', threads: 2 });
    setNativeKernelsEnabled(true);
    expect(info).toMatchObject({ name: 'wasm', threads: 1, simd: true });
    expect(info.attempts).toEqual([
      { name: 'wasm', ok: false, reason: 'threads unavailable, using 1: simulated: no worker_threads' },
      { name: 'wasm', ok: true },
    ]);
    expect(info.customKernels).toContain('Conv2DBackpropFilter');
  });
});
