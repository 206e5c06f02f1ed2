/**
 * @module Backend selection: which tfjs backend runs rftbench's tensors, and why.
 *
 * Why each piece exists:
 * - Order of preference @tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node, wasm, cpu. The native ones
 *   are optional dependencies whose install downloads libtensorflow: absent offline (import() throws
 *   ERR_MODULE_NOT_FOUND), present on sites with internet or a mirror. When one is installed but fails
 *   to load (no CUDA, a bad binding), its reason is kept in `attempts`.
 * - wasm is the offline default, with SIMD and threads. tfjs cannot start wasm threads under Node, so
 *   wasm-threads.ts instantiates the threaded module itself; when that fails we fall back to one
 *   thread and record why. With the native kernels loaded, those take the threads and XNNPACK runs on
 *   one (two thread pools on the same cores spun against each other: tryWasm).
 * - Kernels we register on wasm (kernels/): the stock wasm backend cannot train (Conv2DBackpropFilter is
 *   missing) and its gradient kernels are plain loops; ours make a conv/BN training step about 3x faster
 *   than the previous replacements. Each is tested against the cpu backend.
 * - Optional native kernels (native/): Conv2D and its gradients as im2col + OpenBLAS sgemm, and training
 *   BatchNorm in two passes each way, on the wasm heap; built at npm install where libopenblas-dev is
 *   present. Training steps run 2.9x (ResNet-18) and 2.3x (small model) faster than on the wasm kernels
 *   (npm run bench:peer with RFTBENCH_NATIVE=0 and without). `nativeKernels` in BackendInfo says which ran.
 * - cpu (pure JS, 30-100x slower) is a last resort and never silent: a warning on stderr says why.
 * - `RFTBENCH_BACKEND` forces a backend and `RFTBENCH_THREADS` the thread count (default: cores).
 * - The chosen backend, tfjs version, threads, SIMD, attempts and our kernels (`BackendInfo`) go into
 *   every result record.
 * - shutdownBackend ends the wasm pthread pool: while it lives, Node does not exit.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import './setup.ts';
import { registerWasmKernels } from './kernels/index.ts';
import { initNativeKernels, nativeKernels } from './native/native-kernels.ts';
import { registerThreadedWasm, terminateWasmThreads, useStockWasm } from './wasm-threads.ts';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  reason?: string;
}

export interface BackendInfo {
  name: BackendName;
  tfjsVersion: string;
  threads: number;
  simd: boolean;
  attempts: BackendAttempt[];
  customKernels: string[];
  /** What computes convolutions and training BatchNorm on wasm: the native kernels (and their OpenBLAS) or wasm's, and why. */
  nativeKernels?: string;
}

export interface InitOptions {
  backend?: BackendName;
  threads?: number;
}

const NATIVE_PACKAGES = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;

let current: Promise<BackendInfo> | undefined;

function describeError(err: unknown, pkg?: string): string {
  const e = err as { code?: string; message?: string };
  const message = e?.message ?? String(err);
  // Only the package itself missing means "not installed"; a missing dependency of it is a load failure.
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && pkg && message.includes(`'${pkg}'`)) {
    return 'not installed (optional dependency; needs libtensorflow at install time)';
  }
  const first = message.split('\n')[0];
  const hint = pkg ? nativeLoadHint(message) : undefined;
  return hint ? `${first} (${hint})` : first;
}

/**
 * Why an installed tfjs-node(-gpu) did not load, in words a user can act on. tfjs 4.22's GPU build links
 * CUDA 11.8 and cuDNN 8.6 (libtensorflow 2.9.1); the binding is fetched by the package's install script.
 */
export function nativeLoadHint(message: string): string | undefined {
  const lib = /(lib[\w+-]+\.so[.\d]*): cannot open shared object file/.exec(message)?.[1];
  if (lib && /cud|cublas|cufft|curand|cusolver|cusparse/.test(lib)) {
    return `the CUDA/cuDNN library ${lib} is missing: tfjs-node-gpu 4.22 needs CUDA 11.8 and cuDNN 8.6 on LD_LIBRARY_PATH`;
  }
  if (lib && /tensorflow/.test(lib))
    return `libtensorflow (${lib}) is missing: its install script did not download it; reinstall with network access (npm rebuild @tensorflow/tfjs-node-gpu)`;
  if (/tfjs_binding\.node/.test(message))
    return 'the native binding was never built: the install script needs network access to download libtensorflow; run npm rebuild @tensorflow/tfjs-node-gpu where it can';
  if (/GLIBC|GLIBCXX/.test(message))
    return 'the prebuilt libtensorflow needs a newer glibc/libstdc++ than this system has';
  return undefined;
}

function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`RFTBENCH_THREADS: expected a positive integer, got '${value}'`);
  return n;
}

async function tryNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<void> {
  // Both packages register backend 'tensorflow' on import; the GPU one needs CUDA/cuDNN at load.
  await import(NATIVE_PACKAGES[name]);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('backend "tensorflow" did not initialise');
}

async function tryWasm(
  threads: number,
  attempts: BackendAttempt[],
): Promise<{ threads: number; simd: boolean; kernels: string[]; nativeKernels: string }> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  // With the native kernels, the heavy kernels run on their own pool and XNNPACK (the element-wise rest) on
  // one thread: with both pools on the same cores each spun while the other worked. Measured here, 2 cores,
  // alternating runs: small ResNet train step 926 and 1486 images/s with both pools, 1477 and 1510 with one;
  // PGD step 1954 and 2340 against 2701 and 2836.
  const native = nativeKernels() !== undefined;
  let actual = 0;
  if (threads > 1 && simd && !native) {
    try {
      actual = await registerThreadedWasm(threads);
    } catch (err) {
      attempts.push({ name: 'wasm', ok: false, reason: `threads unavailable, using 1: ${describeError(err)}` });
    }
  }
  if (!actual) {
    useStockWasm();
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new Error('backend "wasm" did not initialise');
    actual = Math.max(1, wasm.getThreadsCount());
  }
  const computeThreads = native ? threads : actual;
  const status = initNativeKernels(computeThreads);
  const detail = native && actual < threads ? `${status.detail} (XNNPACK on ${actual})` : status.detail;
  return { threads: computeThreads, simd, kernels: registerWasmKernels(), nativeKernels: detail };
}

async function select(opts: InitOptions): Promise<BackendInfo> {
  const forced = opts.backend ?? (process.env.RFTBENCH_BACKEND as BackendName | undefined);
  if (forced && !BACKEND_NAMES.includes(forced)) {
    throw new Error(`RFTBENCH_BACKEND: unknown backend '${forced}'; one of ${BACKEND_NAMES.join(', ')}`);
  }
  const threads = opts.threads ?? parseThreads(process.env.RFTBENCH_THREADS) ?? os.cpus().length;
  const order = forced ? [forced] : BACKEND_NAMES;
  const attempts: BackendAttempt[] = [];
  const info = (
    name: BackendName,
    threadCount: number,
    simd: boolean,
    customKernels: string[] = [],
    nativeKernels?: string,
  ): BackendInfo => ({
    name,
    tfjsVersion: tf.version_core,
    threads: threadCount,
    simd,
    attempts,
    customKernels,
    ...(nativeKernels ? { nativeKernels } : {}),
  });
  for (const name of order) {
    try {
      if (name === 'tensorflow-gpu' || name === 'tensorflow') {
        await tryNative(name);
        attempts.push({ name, ok: true });
        // libtensorflow sizes its own thread pools from the core count.
        return info(name, os.cpus().length, false);
      }
      if (name === 'wasm') {
        const w = await tryWasm(threads, attempts);
        attempts.push({ name, ok: true });
        return info(name, w.threads, w.simd, w.kernels, w.nativeKernels);
      }
      if (!(await tf.setBackend('cpu'))) throw new Error('backend "cpu" did not initialise');
      attempts.push({ name, ok: true });
      if (!forced) {
        const why = attempts
          .filter((a) => !a.ok)
          .map((a) => `${a.name}: ${a.reason}`)
          .join('; ');
        process.stderr.write(`rftbench: WARNING falling back to the pure-JS cpu backend (30-100x slower). ${why}\n`);
      }
      return info(name, 1, false);
    } catch (err) {
      attempts.push({
        name,
        ok: false,
        reason: describeError(err, name === 'wasm' || name === 'cpu' ? undefined : NATIVE_PACKAGES[name]),
      });
    }
  }
  throw new Error(`no tensor backend could be loaded: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`);
}

/**
 * Selects and initialises the backend once per process; later calls return the same info (until
 * shutdownBackend).
 *
 * @example
 * const info = await initBackend(); // { name: 'wasm', threads: 2, simd: true, customKernels: [...], ... }
 */
export function initBackend(opts: InitOptions = {}): Promise<BackendInfo> {
  current ??= select(opts).catch((err: unknown) => {
    current = undefined;
    throw err;
  });
  return current;
}

/**
 * Ends what keeps Node alive (the wasm thread pool); call it when done with tensors. Safe to call when
 * nothing was initialised. Kernels must not run on the threaded backend afterwards (disposing tensors
 * is fine); a later initBackend loads a fresh module.
 */
export async function shutdownBackend(): Promise<void> {
  const pending = current;
  current = undefined;
  await pending?.catch(() => undefined);
  terminateWasmThreads();
}
