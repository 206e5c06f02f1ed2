/**
 * @module Tensors as torch.save describes them: a typed storage (one per key, shared by every view of
 * it) plus offset, size and stride. `toSafeTensor` materialises a view contiguously in row-major order,
 * in the storage's own dtype; dtypes.ts converts it to what rftbench loads.
 */
import { DTYPE_BYTES } from '../dtypes.ts';
import type { SafeDtype, SafeTensor } from '../safetensors.ts';

/** torch storage class names (torch.FloatStorage, or torch.cuda.FloatStorage in old files) → dtype. */
export const STORAGE_DTYPES: Readonly<Record<string, SafeDtype>> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** The value a pickle gets for a storage class name such as torch.FloatStorage. */
export class TorchStorageType {
  constructor(
    readonly name: string,
    readonly dtype: SafeDtype,
  ) {}
}

/** One storage of the file; `bytes` is filled when its data is read (after the pickle, in legacy files). */
export class TorchStorage {
  bytes: Uint8Array | undefined;

  constructor(
    readonly key: string,
    readonly type: TorchStorageType,
    readonly numel: number,
    /** Where its data lives, for errors: the zip entry or "legacy storage <key>". */
    readonly where: string,
  ) {}

  get dtype(): SafeDtype {
    return this.type.dtype;
  }
}

export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    /** In elements of the storage. */
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {}

  get dtype(): SafeDtype {
    return this.storage.dtype;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** One past the last storage element the view touches (the offset when it is empty). */
  get extent(): number {
    if (this.numel === 0) return this.offset;
    return this.offset + this.shape.reduce((sum, n, d) => sum + (n - 1) * this.stride[d], 0) + 1;
  }

  /** The view's elements, contiguous in row-major order, in the storage's dtype. */
  toSafeTensor(): SafeTensor {
    const bytes = this.storage.bytes;
    if (!bytes) throw new Error(`${this.storage.where}: storage data was never read`);
    const size = DTYPE_BYTES[this.dtype];
    const out = new Uint8Array(this.numel * size);
    const rank = this.shape.length;
    const rowMajor = (d: number) => this.shape.slice(d + 1).reduce((a, b) => a * b, 1);
    const contiguous = this.shape.every((n, d) => n === 1 || this.stride[d] === rowMajor(d));
    if (contiguous) {
      out.set(bytes.subarray(this.offset * size, this.offset * size + out.length));
    } else if (out.length) {
      // Walk the view with an odometer over its indices; the innermost dimension moves fastest.
      const index = new Array<number>(rank).fill(0);
      let source = this.offset;
      for (let i = 0; i < this.numel; i++) {
        out.set(bytes.subarray(source * size, source * size + size), i * size);
        for (let d = rank - 1; d >= 0; d--) {
          if (++index[d] < this.shape[d]) {
            source += this.stride[d];
            break;
          }
          source -= (this.shape[d] - 1) * this.stride[d];
          index[d] = 0;
        }
      }
    }
    return { dtype: this.dtype, shape: [...this.shape], data: out };
  }
}

/** Checks a view against its storage, naming where the storage lives: a short storage is a clear error. */
export function checkTensor(t: TorchTensor, file: string): void {
  const s = t.storage;
  const dims = [...t.shape, ...t.stride, t.offset];
  if (!dims.every((n) => Number.isSafeInteger(n) && n >= 0) || t.shape.length !== t.stride.length) {
    const view = `size [${t.shape}] / stride [${t.stride}] / offset ${t.offset}`;
    throw new Error(`${file}: tensor on ${s.where} has an invalid ${view}`);
  }
  if (t.extent > s.numel) {
    const need = `needs ${t.extent} elements of ${s.where}, which declares ${s.numel}`;
    throw new Error(`${file}: a tensor of shape [${t.shape}] ${need}`);
  }
  const needed = s.numel * DTYPE_BYTES[s.dtype];
  if (!s.bytes || s.bytes.length < needed) {
    const holds = `needs ${needed} bytes but holds ${s.bytes?.length ?? 0}`;
    throw new Error(`${file}: ${s.where} (${s.type.name}, ${s.numel} elements) ${holds}`);
  }
}
