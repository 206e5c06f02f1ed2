/**
 * @module Checkpoint dtypes: element sizes and the conversions every reader shares, so a tensor from
 * safetensors or from a PyTorch file reaches the model as float32 (F16, BF16, F64 widened or narrowed)
 * or int64 (every integer and bool type). All data on disk is little-endian.
 */
import type { SafeDtype, SafeTensor } from './safetensors.ts';

export const DTYPE_BYTES: Record<SafeDtype, number> = {
  F32: 4,
  F64: 8,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export const FLOAT_DTYPES: ReadonlySet<SafeDtype> = new Set(['F32', 'F64', 'F16', 'BF16']);

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/** IEEE half to float32: every half value (subnormals, infinities, NaN) is exact in float32. */
export function f16ToF32(data: Uint8Array): Float32Array {
  const v = view(data);
  const out = new Float32Array(data.length / 2);
  for (let i = 0; i < out.length; i++) {
    const h = v.getUint16(2 * i, true);
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1024 + frac) * 2 ** (exp - 25);
  }
  return out;
}

/** bfloat16 is the top half of a float32: shift the bits back into place. */
export function bf16ToF32(data: Uint8Array): Float32Array {
  const v = view(data);
  const bits = new Uint32Array(data.length / 2);
  for (let i = 0; i < bits.length; i++) bits[i] = v.getUint16(2 * i, true) << 16;
  return new Float32Array(bits.buffer);
}

/** float64 to float32, rounding to nearest as PyTorch's .float() does. */
export function f64ToF32(data: Uint8Array): Float32Array {
  const v = view(data);
  const out = new Float32Array(data.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = v.getFloat64(8 * i, true);
  return out;
}

/** Any float dtype as float32 values (a copy, aligned, whatever the source alignment). */
export function floatValues(t: SafeTensor): Float32Array {
  switch (t.dtype) {
    case 'F32':
      // A copy into a fresh (aligned) buffer; like the rest of rftbench this assumes a little-endian host.
      return new Float32Array(new Uint8Array(t.data).buffer);
    case 'F16':
      return f16ToF32(t.data);
    case 'BF16':
      return bf16ToF32(t.data);
    case 'F64':
      return f64ToF32(t.data);
    default:
      throw new Error(`floatValues: ${t.dtype} is not a float dtype`);
  }
}

/** Any integer or bool dtype as int64 values. */
export function intValues(t: SafeTensor): BigInt64Array {
  const v = view(t.data);
  const size = DTYPE_BYTES[t.dtype];
  const out = new BigInt64Array(t.data.length / size);
  for (let i = 0; i < out.length; i++) {
    const at = i * size;
    switch (t.dtype) {
      case 'I64':
        out[i] = v.getBigInt64(at, true);
        break;
      case 'I32':
        out[i] = BigInt(v.getInt32(at, true));
        break;
      case 'I16':
        out[i] = BigInt(v.getInt16(at, true));
        break;
      case 'I8':
        out[i] = BigInt(v.getInt8(at));
        break;
      case 'U8':
      case 'BOOL':
        out[i] = BigInt(v.getUint8(at));
        break;
      default:
        throw new Error(`intValues: ${t.dtype} is not an integer dtype`);
    }
  }
  return out;
}

/** The tensor as F32 (floats) or I64 (integers, bool): the two dtypes rftbench loads. */
export function toStandardDtype(t: SafeTensor): SafeTensor {
  if (t.dtype === 'F32' || t.dtype === 'I64') return t;
  if (FLOAT_DTYPES.has(t.dtype)) return { dtype: 'F32', shape: t.shape, data: new Uint8Array(floatValues(t).buffer) };
  return { dtype: 'I64', shape: t.shape, data: new Uint8Array(intValues(t).buffer) };
}
