/**
 * @module Backend selection. Order of preference: @tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node
 * (optional dependencies: their install downloads libtensorflow, impossible offline), the offline
 * default wasm backend with SIMD and our registered kernels (the stock one cannot train: it lacks
 * Conv2DBackpropFilter), then the pure-JS cpu backend (30-100x slower: a last resort, never silent).
 * `RFTBENCH_BACKEND` forces one; the result, with why each preferred backend did not load, goes into
 * every record.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import './setup.ts';
import { registerWasmKernels } from './kernels/index.ts';
import { registerThreadedWasm, terminateWasmThreads } from './wasm-threads.ts';

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
}

export interface InitOptions {
  backend?: BackendName;
  threads?: number;
}

let current: Promise<BackendInfo> | undefined;

function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND') return 'not installed (optional dependency; needs libtensorflow at install time)';
  return (e?.message ?? String(err)).split('\n')[0];
}

async function tryNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<void> {
  // The packages register backend 'tensorflow' on import; the GPU one needs CUDA/cuDNN libraries at load.
  await import(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
  if (!(await tf.setBackend('tensorflow'))) throw new Error('backend "tensorflow" did not initialise');
}

async function tryWasm(threads: number, attempts: BackendAttempt[]): Promise<{ threads: number; simd: boolean; kernels: string[] }> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  let actual = 1;
  if (threads > 1 && simd) {
    try {
      actual = await registerThreadedWasm(threads);
    } catch (err) {
      attempts.push({ name: 'wasm', ok: false, reason: `threads unavailable, using 1: ${describeError(err)}` });
    }
  }
  if (actual === 1 && tf.getBackend() !== 'wasm') {
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new Error('backend "wasm" did not initialise');
    actual = wasm.getThreadsCount();
  }
  return { threads: actual, simd, kernels: registerWasmKernels() };
}

async function select(opts: InitOptions): Promise<BackendInfo> {
  const forced = opts.backend ?? (process.env.RFTBENCH_BACKEND as BackendName | undefined);
  if (forced && !BACKEND_NAMES.includes(forced)) {
    throw new Error(`RFTBENCH_BACKEND: unknown backend '${forced}'; one of ${BACKEND_NAMES.join(', ')}`);
  }
  const threads = opts.threads ?? (Number(process.env.RFTBENCH_THREADS) || os.cpus().length);
  const order = forced ? [forced] : BACKEND_NAMES;
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    try {
      if (name === 'tensorflow-gpu' || name === 'tensorflow') {
        await tryNative(name);
        attempts.push({ name, ok: true });
        return { name, tfjsVersion: tf.version_core, threads: 0, simd: false, attempts, customKernels: [] };
      }
      if (name === 'wasm') {
        const w = await tryWasm(threads, attempts);
        attempts.push({ name, ok: true });
        return { name, tfjsVersion: tf.version_core, threads: w.threads, simd: w.simd, attempts, customKernels: w.kernels };
      }
      await tf.setBackend('cpu');
      attempts.push({ name, ok: true });
      if (!forced) {
        const why = attempts.filter((a) => !a.ok).map((a) => `${a.name}: ${a.reason}`).join('; ');
        process.stderr.write(`rftbench: WARNING falling back to the pure-JS cpu backend (30-100x slower). ${why}\n`);
      }
      return { name, tfjsVersion: tf.version_core, threads: 1, simd: false, attempts, customKernels: [] };
    } catch (err) {
      attempts.push({ name, ok: false, reason: describeError(err) });
    }
  }
  throw new Error(`no tensor backend could be loaded: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`);
}

/** Selects and initialises the backend once per process; later calls return the same info. */
export function initBackend(opts: InitOptions = {}): Promise<BackendInfo> {
  current ??= select(opts);
  return current;
}

/** Ends what keeps Node alive (the wasm thread pool). */
export async function shutdownBackend(): Promise<void> {
  terminateWasmThreads();
}
