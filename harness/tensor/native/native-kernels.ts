/**
 * @module The optional native kernels (C++, N-API), built at `npm install` by build.mjs where OpenBLAS
 * headers exist: convolutions as chunked im2col + OpenBLAS sgemm (conv_gemm.cc) and training-mode
 * BatchNorm in two passes each way (batch_norm.cc), all computed in place on the wasm heap. Our wasm
 * Conv2D, conv gradient and BatchNorm kernels hand their work to them when loaded and enabled: XNNPACK's
 * wasm SIMD has no FMA and reaches ~40 GFLOP/s on two cores here, OpenBLAS ~170. Without them (or with
 * RFTBENCH_NATIVE=0) the wasm kernels run; `rftbench env` and every record say which ran.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Byte offsets into `heap`; geometry as geometryArray() lays it out; threads split the batch. */
type NativeKernel = (
  heap: Float32Array,
  a: number,
  b: number,
  out: number,
  geometry: Int32Array,
  threads: number,
) => void;

interface NativeModule {
  conv2d: NativeKernel;
  conv2dBackpropInput: NativeKernel;
  conv2dBackpropFilter: NativeKernel;
  batchNormTrain(
    heap: Float32Array,
    offsets: Float64Array,
    pixels: number,
    channels: number,
    eps: number,
    threads: number,
  ): void;
  batchNormTrainGrad(
    heap: Float32Array,
    offsets: Float64Array,
    pixels: number,
    channels: number,
    threads: number,
  ): void;
  info(): { config: string; core: string };
}

/** The kernels as ours call them: the thread count is this JS thread's (workers use 1). */
export interface NativeKernels {
  conv2d(heap: Float32Array, x: number, filter: number, y: number, geometry: Int32Array): void;
  conv2dBackpropInput(heap: Float32Array, dy: number, filter: number, dx: number, geometry: Int32Array): void;
  conv2dBackpropFilter(heap: Float32Array, x: number, dy: number, dw: number, geometry: Int32Array): void;
  /** Byte offsets of x, weight, bias, y, mean, variance (biased), invStd. */
  batchNormTrain(heap: Float32Array, offsets: Float64Array, pixels: number, channels: number, eps: number): void;
  /** Byte offsets of dy, x, mean, invStd, weight, dx, dweight, dbias. */
  batchNormTrainGrad(heap: Float32Array, offsets: Float64Array, pixels: number, channels: number): void;
}

export interface NativeKernelsStatus {
  /** Loaded and in use by our kernels. */
  active: boolean;
  /** What computes convolutions and training BatchNorm, or why the native kernels are not used. */
  detail: string;
}

const BINARY = join(dirname(fileURLToPath(import.meta.url)), 'build', 'Release', 'rftbench_native.node');

let loaded: { module?: NativeModule; reason?: string } | undefined;
let enabled = process.env.RFTBENCH_NATIVE !== '0';
/** Set by initNativeKernels: module state is per JS thread, so each worker keeps its own count. */
let threads = 1;
let bound: NativeKernels | undefined;

function load(): { module?: NativeModule; reason?: string } {
  if (loaded) return loaded;
  if (!existsSync(BINARY)) {
    loaded = {
      reason:
        'not built (needs OpenBLAS headers at npm install: apt-get install libopenblas-dev, then node harness/tensor/native/build.mjs or npm ci)',
    };
  } else {
    try {
      loaded = { module: createRequire(import.meta.url)(BINARY) as NativeModule };
    } catch (err) {
      loaded = { reason: `failed to load ${BINARY}: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  return loaded;
}

/** The native module when it is loaded and enabled, else undefined (the wasm kernels run). */
export function nativeKernels(): NativeKernels | undefined {
  if (!enabled) return undefined;
  const m = load().module;
  if (!m) return undefined;
  bound ??= {
    conv2d: (heap, a, b, out, g) => m.conv2d(heap, a, b, out, g, threads),
    conv2dBackpropInput: (heap, a, b, out, g) => m.conv2dBackpropInput(heap, a, b, out, g, threads),
    conv2dBackpropFilter: (heap, a, b, out, g) => m.conv2dBackpropFilter(heap, a, b, out, g, threads),
    batchNormTrain: (heap, offsets, pixels, channels, eps) =>
      m.batchNormTrain(heap, offsets, pixels, channels, eps, threads),
    batchNormTrainGrad: (heap, offsets, pixels, channels) =>
      m.batchNormTrainGrad(heap, offsets, pixels, channels, threads),
  };
  return bound;
}

/** Turns the native path on or off for this process (tests and benches compare both paths). */
export function setNativeKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Sets this JS thread's kernel threads (the backend's thread count) and says what computes convolutions. */
export function initNativeKernels(count: number): NativeKernelsStatus {
  if (!enabled) return { active: false, detail: 'wasm (XNNPACK); native kernels disabled by RFTBENCH_NATIVE=0' };
  const { module, reason } = load();
  if (!module) return { active: false, detail: `wasm (XNNPACK); native kernels ${reason}` };
  threads = count;
  const { config, core } = module.info();
  return { active: true, detail: `native im2col + ${config.trim()} (core ${core}) and BatchNorm, ${threads} threads` };
}
