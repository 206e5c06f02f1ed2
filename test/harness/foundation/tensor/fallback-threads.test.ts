/**
 * When the threaded wasm module cannot start, wasm runs on one thread (SIMD, our kernels) and the
 * record says why; RFTBENCH_THREADS must be a positive integer.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend, shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';

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

  it('falls back to one thread and records why', async () => {
    const info = await initBackend({ backend: 'wasm', threads: 2 });
    expect(info).toMatchObject({ name: 'wasm', threads: 1, simd: true });
    expect(info.attempts).toEqual([
      { name: 'wasm', ok: false, reason: 'threads unavailable, using 1: simulated: no worker_threads' },
      { name: 'wasm', ok: true },
    ]);
    expect(info.customKernels).toContain('Conv2DBackpropFilter');
  });
});
