/**
 * @module The few wasm-backend internals our kernels use: calling wasm's own kernels on TensorInfos,
 * allocating outputs on the wasm heap, and typed-array views of tensors in that heap. Views must be
 * taken after the last allocation: growing the heap detaches them.
 */
import { getKernel, type KernelFunc, type TensorInfo, type DataType, type NamedAttrMap } from '@tensorflow/tfjs-core';

export interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

export function wasmKernel(name: string): KernelFunc {
  const k = getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  return k.kernelFunc;
}

/** Runs a stock wasm kernel and returns its single output. */
export function call(name: string, backend: unknown, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  const out = wasmKernel(name)({ inputs, backend: backend as never, attrs });
  return Array.isArray(out) ? out[0] : out;
}

/** Tracks temporaries of a composed kernel and frees them however the kernel exits. */
export class Temps {
  private readonly infos: TensorInfo[] = [];
  constructor(private readonly backend: WasmBackend) {}
  add(t: TensorInfo): TensorInfo {
    this.infos.push(t);
    return t;
  }
  dispose(): void {
    for (const t of this.infos) this.backend.disposeData(t.dataId);
  }
}
