/**
 * When wasm cannot load, the selection falls back to the cpu backend and says so on stderr, with the
 * reason of every backend it skipped.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend, shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';

// A wasm package that registers nothing: its backend cannot start.
vi.mock('@tensorflow/tfjs-backend-wasm', () => ({}));

afterAll(shutdownBackend);

describe('cpu fallback', () => {
  it('is never silent', async () => {
    vi.stubEnv('RFTBENCH_BACKEND', '');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const info = await initBackend({ threads: 1 });
    const warning = stderr.mock.calls.map((c) => String(c[0])).join('');
    stderr.mockRestore();
    expect(info.name).toBe('cpu');
    expect(info.attempts.map((a) => [a.name, a.ok])).toEqual([
      ['tensorflow-gpu', false],
      ['tensorflow', false],
      ['wasm', false],
      ['cpu', true],
    ]);
    const reason = info.attempts[2].reason;
    expect(reason).toMatch(/WASM_HAS_SIMD_SUPPORT/);
    expect(warning).toMatch(/WARNING falling back to the pure-JS cpu backend/);
    expect(warning).toContain(`wasm: ${reason}`);
    expect(warning).toContain('tensorflow: not installed');
  });
});
