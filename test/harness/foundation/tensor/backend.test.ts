/**
 * Backend selection, through the real command in child processes (the backend is process-global).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeLoadHint } from '../../../../harness/foundation/tensor/backend.ts';
import { WASM_KERNELS } from '../../../../harness/foundation/tensor/kernels/index.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

function env(extra: Record<string, string>, args: string[] = ['env', '--json']) {
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...extra },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('backend selection', () => {
  it('prefers the native backends, says why they did not load, and runs wasm with threads and our kernels', () => {
    const r = env({});
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.attempts.map((a: { name: string }) => a.name).slice(0, 2)).toEqual(['tensorflow-gpu', 'tensorflow']);
    for (const a of info.attempts.slice(0, 2)) expect(a.reason).toMatch(/not installed|libtensorflow|CUDA|load/);
    expect(info.backend).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(Math.max(1, os.cpus().length));
    expect(info.customKernels).toEqual(WASM_KERNELS.map((k) => k.kernelName));
    expect(info.packages['@tensorflow/tfjs-core']).toBe('4.22.0');
  });

  // Where OpenBLAS is installed (CI installs libopenblas-dev), npm install must have built the native
  // kernels and the backend must use them; RFTBENCH_NATIVE=0 turns them off and says so.
  it.runIf(
    ['pthread', 'openmp', 'serial'].some((v) => existsSync(`/usr/include/x86_64-linux-gnu/openblas-${v}/cblas.h`)),
  )(
    'uses the native kernels (OpenBLAS convolutions, BatchNorm) where OpenBLAS is installed, and records which ran',
    () => {
      const on = JSON.parse(env({}).stdout);
      expect(on.nativeKernels).toMatch(
        new RegExp(
          `^native im2col, Winograd F\\(2x2,3x3\\) \\(3x3 stride 1, >= 128 channels, maps >= 4x4: winogradSuits\\)` +
            `(, direct AVX2 \\(<= 64 channels out: directSuits\\))? \\+ OpenBLAS .* and BatchNorm, ${on.threads} threads` +
            // XNNPACK keeps one thread: the native kernels' pool has the cores.
            (on.threads > 1 ? ' \\(XNNPACK on 1\\)$' : '$'),
        ),
      );
      // The algorithm is part of every record: it changes the last bits of every 3x3 convolution.
      const im2col = JSON.parse(env({ RFTBENCH_CONV: 'im2col' }).stdout);
      expect(im2col.nativeKernels).toMatch(
        new RegExp(`^native im2col \\+ OpenBLAS .* and BatchNorm, ${on.threads} threads( \\(XNNPACK on 1\\))?$`),
      );
      const bad = env({ RFTBENCH_CONV: 'fast' });
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toContain('RFTBENCH_CONV must be one of auto, winograd, direct, im2col, not "fast"');
      const off = JSON.parse(env({ RFTBENCH_NATIVE: '0' }).stdout);
      expect(off.nativeKernels).toBe('wasm (XNNPACK); native kernels disabled by RFTBENCH_NATIVE=0');
    },
  );

  it('RFTBENCH_BACKEND and RFTBENCH_THREADS force the choice', () => {
    const cpu = JSON.parse(env({ RFTBENCH_BACKEND: 'cpu' }).stdout);
    expect(cpu.backend).toBe('cpu');
    const one = JSON.parse(env({ RFTBENCH_THREADS: '1' }).stdout);
    expect(one.threads).toBe(1);
  });

  it('an unknown backend is an error naming the variable and the choices', () => {
    const r = env({ RFTBENCH_BACKEND: 'webgpu' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "RFTBENCH_BACKEND: unknown backend 'webgpu'; one of tensorflow-gpu, tensorflow, wasm, cpu",
    );
  });
});

describe('why a native backend did not load', () => {
  it('turns the loader messages users see into what to install', () => {
    expect(nativeLoadHint('libcudart.so.11.0: cannot open shared object file: No such file or directory')).toMatch(
      /CUDA\/cuDNN library libcudart\.so\.11\.0 is missing: .*CUDA 11\.8 and cuDNN 8\.6/,
    );
    expect(nativeLoadHint('Error: libcudnn.so.8: cannot open shared object file')).toMatch(/libcudnn\.so\.8/);
    expect(
      nativeLoadHint("Cannot find module '/x/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node'"),
    ).toMatch(/install script needs network access/);
    expect(nativeLoadHint('libtensorflow.so.2: cannot open shared object file')).toMatch(/libtensorflow .* is missing/);
    expect(nativeLoadHint('some other failure')).toBeUndefined();
  });
});
