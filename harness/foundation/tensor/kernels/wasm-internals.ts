/**
 * @module The few wasm-backend internals our kernels use: calling wasm's own kernels on TensorInfos,
 * allocating outputs on the wasm heap, typed-array views and byte offsets of tensors in that heap, and
 * short-lived aliases of a tensor. Views must be taken after the last allocation: growing the heap
 * detaches them.
 */
import { getKernel, type DataType, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The slice of the WebAssembly API we use (the project's lib settings do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
export const WebAssemblyApi = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: abstract new (...args: never[]) => WasmMemory;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

interface TensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
  refCount: number;
}

export interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
  dataIdMap: { get(dataId: object): TensorData; has(dataId: object): boolean; delete(dataId: object): boolean };
  wasm: {
    HEAPU8: Uint8Array;
    /** The threaded build's shared memory. */
    wasmMemory?: WasmMemory;
    /** The single-threaded build exports its memory. */
    asm?: { memory?: WasmMemory };
    tfjs: { disposeData(id: number): void };
  };
}

/** The stock configs of kernels we replace, kept so ours can delegate the cases they do not speed up. */
const stock = new Map<string, KernelConfig>();

export function rememberStock(config: KernelConfig | undefined): void {
  if (config && !stock.has(config.kernelName)) stock.set(config.kernelName, config);
}

export function stockKernel(name: string): KernelConfig {
  const k = stock.get(name);
  if (!k) throw new Error(`stock wasm kernel ${name} was not kept before it was replaced`);
  return k;
}

/** Our replacement's setupFunc: a backend created after we registered still sets up the stock kernel we delegate to. */
export function stockSetup(name: string): KernelConfig['setupFunc'] {
  return (backend) => stock.get(name)?.setupFunc?.(backend);
}

/** Runs a wasm kernel (ours if we replaced it) and returns its single output. */
export function call(
  name: string,
  backend: unknown,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const k = getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  const out = k.kernelFunc({ inputs, backend: backend as never, attrs });
  return Array.isArray(out) ? out[0] : out;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(b: WasmBackend, t: TensorInfo): number {
  return b.dataIdMap.get(t.dataId).memoryOffset;
}

/** The WebAssembly.Memory behind the heap (shared in the threaded build). */
export function heapMemory(b: WasmBackend): WasmMemory {
  const m = b.wasm.wasmMemory ?? b.wasm.asm?.memory;
  if (!(m instanceof WebAssemblyApi.Memory)) throw new Error('wasm backend: cannot find the module memory');
  return m;
}

/** The whole heap as floats, for the native kernels; take it after the kernel's last allocation (growth replaces it). */
export function heapFloats(b: WasmBackend): Float32Array {
  return new Float32Array(heapMemory(b).buffer);
}

/**
 * A second tensor over the same bytes, under its own id. XNNPACK operators are cached per weight
 * tensor id and keep a packed copy of the weights until that id is disposed; passing an alias we
 * release at once frees that copy now instead of when the (long-lived) activation is disposed.
 */
export function alias(b: WasmBackend, t: TensorInfo, shape: number[] = t.shape, byteOffset = 0): TensorInfo {
  return b.makeOutput(shape, t.dtype, heapOffset(b, t) + byteOffset);
}

/** Forgets an alias without freeing the bytes it shares (and drops any operator cached on it). */
export function releaseAlias(b: WasmBackend, t: TensorInfo): void {
  const data = b.dataIdMap.get(t.dataId);
  b.wasm.tfjs.disposeData(data.id);
  b.dataIdMap.delete(t.dataId);
}

/** Tracks temporaries (and aliases) of a composed kernel and frees them however the kernel exits. */
export class Temps {
  private readonly infos: TensorInfo[] = [];
  private readonly aliases: TensorInfo[] = [];
  constructor(private readonly backend: WasmBackend) {}
  add(t: TensorInfo): TensorInfo {
    this.infos.push(t);
    return t;
  }
  alias(t: TensorInfo, shape?: number[], byteOffset?: number): TensorInfo {
    const a = alias(this.backend, t, shape, byteOffset);
    this.aliases.push(a);
    return a;
  }
  dispose(): void {
    for (const t of this.infos) this.backend.disposeData(t.dataId);
    for (const a of this.aliases) releaseAlias(this.backend, a);
  }
}
