/**
 * @module The optional native convolution kernels (conv_gemm.cc: chunked im2col + OpenBLAS sgemm),
 * built at `npm install` by build.mjs where OpenBLAS headers exist. Our wasm Conv2D and conv gradient
 * kernels hand their work to it when it is loaded and enabled: XNNPACK's wasm SIMD has no FMA and
 * reaches ~40 GFLOP/s on two cores here, OpenBLAS ~95. Without it (or with RFTBENCH_NATIVE=0) the wasm
 * kernels run as before; `rftbench env` and every record say which one computed the numbers.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeConvModule {
  /** Byte offsets into `heap`; geometry as geometryArray() lays it out. */
  conv2d(heap: Float32Array, x: number, filter: number, y: number, geometry: Int32Array): void;
  conv2dBackpropInput(heap: Float32Array, dy: number, filter: number, dx: number, geometry: Int32Array): void;
  conv2dBackpropFilter(heap: Float32Array, x: number, dy: number, dw: number, geometry: Int32Array): void;
  setThreads(n: number): void;
  info(): { config: string; core: string; threads: number };
}

export interface NativeConvStatus {
  /** Loaded and in use by our kernels. */
  active: boolean;
  /** What computes convolutions, or why the native kernels are not used. */
  detail: string;
}

const BINARY = join(dirname(fileURLToPath(import.meta.url)), 'build', 'Release', 'rftbench_native.node');

let loaded: { module?: NativeConvModule; reason?: string } | undefined;
let enabled = process.env.RFTBENCH_NATIVE !== '0';

function load(): { module?: NativeConvModule; reason?: string } {
  if (loaded) return loaded;
  if (!existsSync(BINARY)) {
    loaded = { reason: 'not built (needs OpenBLAS headers at npm install: apt-get install libopenblas-dev, then npm rebuild)' };
  } else {
    try {
      loaded = { module: createRequire(import.meta.url)(BINARY) as NativeConvModule };
    } catch (err) {
      loaded = { reason: `failed to load ${BINARY}: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  return loaded;
}

/** The native module when it is loaded and enabled, else undefined (the wasm kernels run). */
export function nativeConv(): NativeConvModule | undefined {
  return enabled ? load().module : undefined;
}

/** Turns the native path on or off for this process (tests and benches compare both paths). */
export function setNativeConvEnabled(on: boolean): void {
  enabled = on;
}

/** Starts the native kernels with `threads` BLAS threads (the backend's thread count) and says what runs. */
export function initNativeConv(threads: number): NativeConvStatus {
  if (!enabled) return { active: false, detail: 'wasm (XNNPACK); native kernels disabled by RFTBENCH_NATIVE=0' };
  const { module, reason } = load();
  if (!module) return { active: false, detail: `wasm (XNNPACK); native kernels ${reason}` };
  module.setThreads(threads);
  const { config, core } = module.info();
  return { active: true, detail: `native im2col + ${config.trim()}, core ${core}, ${threads} threads` };
}
