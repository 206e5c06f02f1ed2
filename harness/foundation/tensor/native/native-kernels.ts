/**
 * @module The optional native kernels (C++, N-API), built at `npm install` by build.mjs where OpenBLAS
 * headers exist: convolutions as chunked im2col + OpenBLAS sgemm (conv_gemm.cc), by Winograd (winograd.cc) or
 * by a direct AVX2 kernel (direct_conv.cc), the fused conv + eval-BatchNorm epilogue, training-mode BatchNorm
 * in two passes each way and ReLU + eval-BatchNorm gradients in one (batch_norm.cc), and MaxPool's gradient
 * (pooling.cc), all computed in place on the wasm heap. Our wasm kernels hand their work to them when loaded and
 * enabled: XNNPACK's wasm SIMD has no FMA and reaches ~40 GFLOP/s on two cores here, OpenBLAS ~170. Without them
 * (or with RFTBENCH_NATIVE=0) the wasm kernels run; `rftbench env` and every record say which ran.
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
  filterKey?: number,
) => void;

/** This JS thread's transformed-filter cache (filter_cache.cc). */
export interface FilterCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Entries dropped because their weight tensor was disposed (releaseFilter). */
  released: number;
  entries: number;
  bytes: number;
  /** Storage of released entries, kept for the next transforms of the same size. */
  spareBytes: number;
}

interface NativeModule {
  conv2d: NativeKernel;
  conv2dBackpropInput: NativeKernel;
  conv2dWinograd: NativeKernel;
  conv2dBackpropInputWinograd: NativeKernel;
  conv2dDirect: NativeKernel;
  conv2dBackpropInputDirect: NativeKernel;
  maxPoolGrad: NativeKernel;
  conv2dAffine(
    heap: Float32Array,
    x: number,
    w: number,
    y: number,
    geometry: Int32Array,
    threads: number,
    affine: Float64Array,
  ): void;
  conv2dBackpropFilter: NativeKernel;
  batchNormTrain(
    heap: Float32Array,
    offsets: Float64Array,
    pixels: number,
    channels: number,
    eps: number,
    relu: boolean,
    threads: number,
  ): void;
  batchNormTrainGrad(
    heap: Float32Array,
    offsets: Float64Array,
    pixels: number,
    channels: number,
    threads: number,
  ): void;
  reluBatchNormGrad(heap: Float32Array, offsets: Float64Array, pixels: number, channels: number, threads: number): void;
  sgdStep(heap: Float32Array, offsets: Float64Array, n: number, coefficients: Float64Array, threads: number): void;
  spatialReduce(
    heap: Float32Array,
    x: number,
    y: number,
    images: number,
    pixels: number,
    channels: number,
    mean: boolean,
    threads: number,
  ): void;
  setFilterCacheLimit(bytes: number): void;
  filterCacheStats(): FilterCacheStats;
  releaseFilter(key: number): void;
  info(): { config: string; core: string; direct: boolean };
}

/** The kernels as ours call them: the thread count is this JS thread's (workers use 1). */
export interface NativeKernels {
  /** filterKey (weight-keys.ts) lets Winograd keep the filter's transform for the next call with the same weights. */
  conv2d(heap: Float32Array, x: number, filter: number, y: number, geometry: Int32Array, filterKey?: number): void;
  conv2dBackpropInput(
    heap: Float32Array,
    dy: number,
    filter: number,
    dx: number,
    geometry: Int32Array,
    filterKey?: number,
  ): void;
  conv2dBackpropFilter(heap: Float32Array, x: number, dy: number, dw: number, geometry: Int32Array): void;
  /** MaxPool's gradient; geometry as a convolution's with ci = co = channels and the window as the filter. */
  maxPoolGrad(heap: Float32Array, x: number, dy: number, dx: number, geometry: Int32Array): void;
  /**
   * conv2d, then y·scale + shift per channel (eval-mode BatchNorm as its own kernel computes it), + the residual at
   * byte offset `residual` (-1: none), then ReLU when asked.
   */
  conv2dAffine(
    heap: Float32Array,
    x: number,
    filter: number,
    y: number,
    geometry: Int32Array,
    scale: number,
    shift: number,
    relu: boolean,
    residual: number,
    filterKey?: number,
  ): void;
  /**
   * Byte offsets of x, weight, bias, y, mean, variance (biased), invStd, residual (-1: none); y gets the residual
   * added, then ReLU when `relu`.
   */
  batchNormTrain(
    heap: Float32Array,
    offsets: Float64Array,
    pixels: number,
    channels: number,
    eps: number,
    relu: boolean,
  ): void;
  /**
   * Byte offsets of dy, x, mean, invStd, weight, dx, dweight, dbias, reluOut (-1: no ReLU; else dy is masked by
   * step(reluOut) first), dMasked (-1: none; else receives the masked dy).
   */
  batchNormTrainGrad(heap: Float32Array, offsets: Float64Array, pixels: number, channels: number): void;
  /** Byte offsets of dy, y, scale, shift, out: (dy·step(y))·scale + shift per channel. */
  reluBatchNormGrad(heap: Float32Array, offsets: Float64Array, pixels: number, channels: number): void;
  /**
   * One SGD step over n floats: byte offsets of w, grad, buffer (-1: none), new w, new buffer (-1: none), and
   * [weightDecay, momentum, 1 - dampening, lr, decay?, momentum?, nesterov?, maximize?] (flags 0 or 1).
   */
  sgdStep(heap: Float32Array, offsets: Float64Array, n: number, coefficients: Float64Array): void;
  /** y [images, channels] = the sum (or mean) of x [images, pixels, channels] over pixels, in float32, in order. */
  spatialReduce(
    heap: Float32Array,
    x: number,
    y: number,
    images: number,
    pixels: number,
    channels: number,
    mean: boolean,
  ): void;
}

export interface NativeKernelsStatus {
  /** Loaded and in use by our kernels. */
  active: boolean;
  /** What computes convolutions and training BatchNorm, or why the native kernels are not used. */
  detail: string;
}

/**
 * How convolutions and their input gradients are computed. `auto` picks per geometry (convKernel): Winograd
 * F(2x2, 3x3) where winogradSuits, the direct AVX2 kernel where directSuits, im2col + OpenBLAS otherwise;
 * `winograd` and `direct` use theirs wherever it applies, `im2col` never. The three sum in different orders
 * (last bits differ), so the choice is part of every record (initNativeKernels).
 */
export const CONV_ALGORITHMS = ['auto', 'winograd', 'direct', 'im2col'] as const;
export type ConvAlgorithm = (typeof CONV_ALGORITHMS)[number];
/** The kernel one convolution runs on. */
export type ConvKernel = 'im2col' | 'winograd' | 'direct';

/** The algorithm RFTBENCH_CONV asks for (auto when unset). */
export function defaultConvAlgorithm(): ConvAlgorithm {
  const v = process.env.RFTBENCH_CONV ?? 'auto';
  if (!(CONV_ALGORITHMS as readonly string[]).includes(v))
    throw new Error(`RFTBENCH_CONV must be one of ${CONV_ALGORITHMS.join(', ')}, not "${v}"`);
  return v as ConvAlgorithm;
}

/**
 * Geometry (geometryArray's order: n h w ci co kh kw sh sw oh ow top left) on which `auto` picks Winograd:
 * 3x3, stride 1, at least 128 channels in and out and maps of at least 4x4 with at most 15% of the tiles'
 * outputs outside the map. Never the batch size: an image's outputs must be the same bits in any batch
 * (AutoAttack splits its points across workers; test/harness/foundation/models/batch-independence.test.ts).
 * The filter's transform is kept per weight tensor (filter_cache.cc), so attacks and evaluation pay it once.
 * Wall time here, 2 threads, idle, ms per call, im2col vs Winograd with the transform kept (`npm run bench`
 * prints such a table, bench-kernels.ts), forward / input gradient:
 * - batch 32: 16x16x128 13.1 / 13.3 vs 8.3 / 8.5; 8x8x256 13.0 / 13.0 vs 6.7 / 7.0; 4x4x512 14.2 / 14.0 vs 7.0 / 7.6;
 * - batch 8: 4x4x512 4.0 / 3.9 vs 2.5 / 2.5; batch 1: 4x4x512 1.3 / 1.3 vs 2.0 / 2.0 (the 16 products re-pack U);
 * - 2x2 maps (one tile an image) lose below batch 32: 1.3 vs 2.0 ms at batch 8, so they stay on im2col;
 * - 64 channels: im2col's (or the direct kernel's) one product beats 16 small ones plus the transforms' traffic.
 */
export function winogradSuits(g: Int32Array, algorithm: ConvAlgorithm): boolean {
  const [, , , ci, co, kh, kw, sh, sw, oh, ow] = g;
  if (kh !== 3 || kw !== 3 || sh !== 1 || sw !== 1 || algorithm === 'im2col' || algorithm === 'direct') return false;
  if (algorithm === 'winograd') return true;
  const tiles = Math.ceil(oh / 2) * Math.ceil(ow / 2);
  return Math.min(ci, co) >= 128 && oh >= 4 && ow >= 4 && (4 * tiles) / (oh * ow) <= 1.15;
}

/**
 * Where `auto` picks the direct kernel (given the CPU has it): a multiple of 8 channels out and not a plain
 * matrix product (1x1, stride 1, unpadded), which OpenBLAS does without im2col. DIRECT_MAX_CHANNELS_OUT
 * bounds it where im2col's products become wide enough for OpenBLAS to win (measured in `npm run bench`).
 */
export function directSuits(g: Int32Array, algorithm: ConvAlgorithm): boolean {
  const [, h, w, , co, kh, kw, sh, sw, oh, ow, top, left] = g;
  if (algorithm === 'im2col' || algorithm === 'winograd' || co % 8 !== 0) return false;
  if (algorithm === 'direct') return true;
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && oh === h && ow === w;
  return !pointwise && co <= DIRECT_MAX_CHANNELS_OUT;
}
export const DIRECT_MAX_CHANNELS_OUT = 64;

/** The kernel a convolution with geometry g runs on, given whether this CPU has the direct kernel. */
export function convKernel(g: Int32Array, algorithm: ConvAlgorithm, direct: boolean): ConvKernel {
  if (winogradSuits(g, algorithm)) return 'winograd';
  return direct && directSuits(g, algorithm) ? 'direct' : 'im2col';
}

/** The kernel a convolution's input gradient runs on: its own stride-1 convolution of dy (inputGradGeometry). */
export function inputGradKernel(g: Int32Array, algorithm: ConvAlgorithm, direct: boolean): ConvKernel {
  const [, , , , , kh, kw, sh, sw, , , top, left] = g;
  if (sh !== 1 || sw !== 1 || top > kh - 1 || left > kw - 1) return 'im2col';
  return convKernel(inputGradGeometry(g), algorithm, direct);
}

const BINARY = join(dirname(fileURLToPath(import.meta.url)), 'build', 'Release', 'rftbench_native.node');

let loaded: { module?: NativeModule; reason?: string } | undefined;
let enabled = process.env.RFTBENCH_NATIVE !== '0';
/** Set by initNativeKernels: module state is per JS thread, so each worker keeps its own count. */
let threads = 1;
let bound: NativeKernels | undefined;
let convAlgorithm: ConvAlgorithm = defaultConvAlgorithm();

function load(): { module?: NativeModule; reason?: string } {
  if (loaded) return loaded;
  if (!existsSync(BINARY)) {
    loaded = {
      reason:
        'not built (needs OpenBLAS headers at npm install: apt-get install libopenblas-dev, then node harness/foundation/tensor/native/build.mjs or npm ci)',
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
/**
 * The byte budget of this JS thread's transformed-filter cache: RFTBENCH_FILTER_CACHE_MB, default 128 (ResNet-18's
 * Winograd layers take 63 MB; 0 keeps nothing). Results are the same bits with or without it.
 */
export function filterCacheBytes(): number {
  const v = process.env.RFTBENCH_FILTER_CACHE_MB ?? '128';
  const mb = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(mb))
    throw new Error(`RFTBENCH_FILTER_CACHE_MB must be a whole number of megabytes, not "${v}"`);
  return mb * 2 ** 20;
}

/** Drops the transform kept for a weight key whose tensor is gone (weight-keys.ts), keeping its storage. */
export function releaseFilter(key: number): void {
  if (loaded?.module) loaded.module.releaseFilter(key);
}

/** This JS thread's transformed-filter cache, and a new budget for it (tests, benches). */
export function filterCache(limitBytes?: number): FilterCacheStats | undefined {
  const m = enabled ? load().module : undefined;
  if (!m) return undefined;
  if (limitBytes !== undefined) m.setFilterCacheLimit(limitBytes);
  return m.filterCacheStats();
}

export function nativeKernels(): NativeKernels | undefined {
  if (!enabled) return undefined;
  const m = load().module;
  if (!m) return undefined;
  bound ??= bind(m);
  return bound;
}

/** Our kernels' view of the module: each call picks its algorithm by geometry (convKernel). */
function bind(m: NativeModule): NativeKernels {
  const direct = m.info().direct;
  const forward = { im2col: m.conv2d, winograd: m.conv2dWinograd, direct: m.conv2dDirect };
  const backward = {
    im2col: m.conv2dBackpropInput,
    winograd: m.conv2dBackpropInputWinograd,
    direct: m.conv2dBackpropInputDirect,
  };
  const algorithmCode = { im2col: 0, winograd: 1, direct: 2 };
  return {
    conv2d: (heap, a, b, out, g, key = -1) =>
      forward[convKernel(g, convAlgorithm, direct)](heap, a, b, out, g, threads, key),
    conv2dBackpropInput: (heap, a, b, out, g, key = -1) =>
      backward[inputGradKernel(g, convAlgorithm, direct)](heap, a, b, out, g, threads, key),
    conv2dBackpropFilter: (heap, a, b, out, g) => m.conv2dBackpropFilter(heap, a, b, out, g, threads),
    maxPoolGrad: (heap, a, b, out, g) => m.maxPoolGrad(heap, a, b, out, g, threads),
    conv2dAffine: (heap, x, w, y, g, scale, shift, relu, residual, key = -1) =>
      m.conv2dAffine(
        heap,
        x,
        w,
        y,
        g,
        threads,
        Float64Array.of(scale, shift, relu ? 1 : 0, algorithmCode[convKernel(g, convAlgorithm, direct)], residual, key),
      ),
    batchNormTrain: (heap, offsets, pixels, channels, eps, relu) =>
      m.batchNormTrain(heap, offsets, pixels, channels, eps, relu, threads),
    batchNormTrainGrad: (heap, offsets, pixels, channels) =>
      m.batchNormTrainGrad(heap, offsets, pixels, channels, threads),
    reluBatchNormGrad: (heap, offsets, pixels, channels) =>
      m.reluBatchNormGrad(heap, offsets, pixels, channels, threads),
    sgdStep: (heap, offsets, n, coefficients) => m.sgdStep(heap, offsets, n, coefficients, threads),
    spatialReduce: (heap, x, y, images, pixels, channels, mean) =>
      m.spatialReduce(heap, x, y, images, pixels, channels, mean, threads),
  };
}

/** The stride-1 convolution that computes a 3x3 stride-1 convolution's input gradient: dy in, dx out. */
function inputGradGeometry(g: Int32Array): Int32Array {
  const [n, h, w, ci, co, kh, kw, sh, sw, oh, ow, top, left] = g;
  return Int32Array.of(n, oh, ow, co, ci, kh, kw, sh, sw, h, w, kh - 1 - top, kw - 1 - left);
}

/** Sets how 3x3 stride-1 convolutions are computed for this process (tests and benches compare them). */
export function setConvAlgorithm(algorithm: ConvAlgorithm): void {
  convAlgorithm = algorithm;
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
  module.setFilterCacheLimit(filterCacheBytes());
  const { config, core, direct } = module.info();
  const directAuto = direct ? `, direct AVX2 (<= ${DIRECT_MAX_CHANNELS_OUT} channels out: directSuits)` : '';
  const convolutions = {
    auto: `native im2col, Winograd F(2x2,3x3) (3x3 stride 1, >= 128 channels, maps >= 4x4: winogradSuits)${directAuto}`,
    winograd: 'native Winograd F(2x2,3x3) for every 3x3 stride-1 convolution, im2col for the rest',
    direct: direct ? 'native direct AVX2 where it applies, im2col for the rest' : 'native im2col (no AVX2 + FMA here)',
    im2col: 'native im2col',
  }[convAlgorithm];
  return {
    active: true,
    detail: `${convolutions} + ${config.trim()} (core ${core}) and BatchNorm, ${threads} threads`,
  };
}
