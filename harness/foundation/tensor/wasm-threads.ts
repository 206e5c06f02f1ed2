/**
 * @module The threaded wasm backend under Node. tfjs hard-wires WASM_HAS_MULTITHREAD_SUPPORT to false
 * in Node (tfjs issue #3830), and its own loader hands the pthread worker script to worker_threads as a
 * blob: URL, which Node cannot load. We instantiate the threaded SIMD emscripten module ourselves with
 * real file paths (the worker script, exported by the package as a string, written to a temporary file;
 * the .wasm beside the main script) and register a 'wasm' backend factory over it. The C++ side sizes
 * its pool from the logical core count (capped at half of it), so os.cpus() is widened while the
 * module loads and while the backend initialises the pool.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: Record<string, unknown>;
  PThread?: { terminateAllThreads(): void };
}

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

let module: EmscriptenModule | undefined;
/** The package's own (single-threaded) 'wasm' factory, captured before we first replace it. */
let stockFactory: ReturnType<typeof tf.findBackendFactory> | undefined;

/** Runs `f` (and awaits it) while os.cpus() reports at least `n` cores. */
async function withCores<T>(n: number, f: () => T | Promise<T>): Promise<T> {
  const realCpus = os.cpus;
  const cpus = realCpus();
  os.cpus = () => Array.from({ length: Math.max(cpus.length, n) }, (_, i) => cpus[i % cpus.length]);
  try {
    return await f();
  } finally {
    os.cpus = realCpus;
  }
}

async function loadThreadedModule(threads: number): Promise<EmscriptenModule> {
  const outDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const mainScript = join(outDir, 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(mainScript) as (config: Record<string, unknown>) => Promise<EmscriptenModule>;
  const { wasmWorkerContents } = require(join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const workerFile = join(
    mkdtempSync(join(os.tmpdir(), 'rftbench-wasm-')),
    'tfjs-backend-wasm-threaded-simd.worker.js',
  );
  // The exported string has raw newlines where its string literals need `\n` escapes (tfjs re-escapes too).
  writeFileSync(workerFile, wasmWorkerContents.replace(/\n/g, '\\n'));
  const m = await withCores(threads * 2, () =>
    factory({
      locateFile: (path: string) => (path.endsWith('.worker.js') ? workerFile : join(outDir, path)),
      mainScriptUrlOrBlob: mainScript,
    }),
  );
  // What tfjs's own loader attaches to the module.
  m.tfjs = {
    init: m.cwrap('init', null, []),
    initWithThreadsCount: m.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: m.cwrap('get_threads_count', 'number', []),
    registerTensor: m.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: m.cwrap('dispose_data', null, ['number']),
    dispose: m.cwrap('dispose', null, []),
  };
  return m;
}

/**
 * Loads the threaded module once and makes 'wasm' run on it; resolves to the pool's thread count.
 * On failure the stock (single-threaded) 'wasm' factory is put back before the error propagates.
 */
export async function registerThreadedWasm(threads: number): Promise<number> {
  const wasmPkg = require('@tensorflow/tfjs-backend-wasm') as WasmPackage;
  stockFactory ??= tf.findBackendFactory('wasm');
  try {
    module ??= await loadThreadedModule(threads);
    const m = module;
    wasmPkg.setThreadsCount(threads);
    tf.removeBackend('wasm');
    // The pool is sized when the backend initialises it: it must see the widened core count too.
    tf.registerBackend('wasm', () => withCores(threads * 2, () => new wasmPkg.BackendWasm(m as never)), 2);
    if (!(await tf.setBackend('wasm'))) throw new Error('threaded wasm backend did not initialise');
    return wasmPkg.getThreadsCount();
  } catch (err) {
    tf.removeBackend('wasm');
    if (stockFactory) tf.registerBackend('wasm', stockFactory, 2);
    throw err;
  }
}

/** Puts the package's single-threaded 'wasm' factory back if we replaced it (a fresh backend instance). */
export function useStockWasm(): void {
  if (!stockFactory) return;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', stockFactory, 2);
  stockFactory = undefined;
}

/** Ends the pthread pool: with it alive Node does not exit. The module cannot be used afterwards. */
export function terminateWasmThreads(): void {
  module?.PThread?.terminateAllThreads();
  module = undefined;
}
