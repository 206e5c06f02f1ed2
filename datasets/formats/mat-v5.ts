/**
 * @module MATLAB v5 MAT-files (the format of SVHN's `*_32x32.mat`): a 128-byte header, then tagged
 * elements `{uint32 type, uint32 nbytes}` padded to 8 bytes (or the 4-byte "small element" form).
 * Variables are miMATRIX elements, often wrapped in miCOMPRESSED (a zlib stream, inflated with
 * node:zlib). Numeric arrays are returned as stored, column-major, with their dims; callers reorder.
 * Only little-endian files with numeric arrays are supported: that is what SVHN needs, and anything
 * else fails with a message naming the file.
 */
import { inflateSync } from 'node:zlib';

/** MAT element data types (miXXX). */
const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
} as const;

/** Array classes (mxXXX_CLASS), from the array-flags sub-element. */
export const MX_CLASS_NAMES: Record<number, string> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  4: 'char',
  5: 'sparse',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

export type MatData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

export interface MatArray {
  name: string;
  /** MATLAB class of the array (`uint8`, `double`, ...). */
  className: string;
  /** Dimensions in MATLAB order; the data is column-major (first index fastest). */
  dims: number[];
  /** Real part in its storage type, which may be narrower than the class (a double stored as uint8). */
  data: MatData;
}

interface Element {
  type: number;
  data: Uint8Array;
  /** Offset of the next element. */
  next: number;
}

function readElement(buf: Uint8Array, view: DataView, at: number, where: string): Element {
  if (at + 8 > buf.length)
    throw new Error(`${where}: truncated: element tag at byte ${at} needs 8 bytes, ${buf.length - at} remain`);
  const word = view.getUint32(at, true);
  if (word >>> 16 !== 0) {
    // Small data element: size in the upper half of the first word, data in the second.
    const nbytes = word >>> 16;
    if (nbytes > 4)
      throw new Error(`${where}: bad small element at byte ${at} (declares ${nbytes} bytes, at most 4 fit)`);
    return { type: word & 0xffff, data: buf.subarray(at + 4, at + 4 + nbytes), next: at + 8 };
  }
  const nbytes = view.getUint32(at + 4, true);
  const start = at + 8;
  if (start + nbytes > buf.length) {
    throw new Error(
      `${where}: truncated: element at byte ${at} declares ${nbytes} bytes, only ${buf.length - start} remain`,
    );
  }
  // Compressed elements are not padded; everything else is padded to 8 bytes.
  const padded = word === MI.COMPRESSED ? nbytes : Math.ceil(nbytes / 8) * 8;
  return { type: word, data: buf.subarray(start, start + nbytes), next: Math.min(buf.length, start + padded) };
}

/** Copies when needed so multi-byte views are aligned. */
function typed(type: number, bytes: Uint8Array, where: string): MatData {
  // `new Uint8Array(view)` copies to a fresh buffer at offset 0 (Buffer.slice would not copy).
  const aligned = (size: number) => (bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes));
  const count = (size: number) => {
    if (bytes.length % size !== 0)
      throw new Error(`${where}: ${bytes.length} data bytes is not a multiple of the ${size}-byte element size`);
    return bytes.length / size;
  };
  switch (type) {
    case MI.UINT8:
    case MI.UTF8:
      return bytes;
    case MI.INT8:
      return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    case MI.INT16: {
      const n = count(2);
      const b = aligned(2);
      return new Int16Array(b.buffer, b.byteOffset, n);
    }
    case MI.UINT16: {
      const n = count(2);
      const b = aligned(2);
      return new Uint16Array(b.buffer, b.byteOffset, n);
    }
    case MI.INT32: {
      const n = count(4);
      const b = aligned(4);
      return new Int32Array(b.buffer, b.byteOffset, n);
    }
    case MI.UINT32: {
      const n = count(4);
      const b = aligned(4);
      return new Uint32Array(b.buffer, b.byteOffset, n);
    }
    case MI.SINGLE: {
      const n = count(4);
      const b = aligned(4);
      return new Float32Array(b.buffer, b.byteOffset, n);
    }
    case MI.DOUBLE: {
      const n = count(8);
      const b = aligned(8);
      return new Float64Array(b.buffer, b.byteOffset, n);
    }
    case MI.INT64:
    case MI.UINT64: {
      const n = count(8);
      const b = aligned(8);
      const big =
        type === MI.INT64
          ? new BigInt64Array(b.buffer, b.byteOffset, n)
          : new BigUint64Array(b.buffer, b.byteOffset, n);
      return Float64Array.from(big, (v) => Number(v));
    }
    default:
      throw new Error(`${where}: unsupported data type ${type}`);
  }
}

function parseMatrix(buf: Uint8Array, where: string): MatArray | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = readElement(buf, view, 0, where);
  if (flags.type !== MI.UINT32 || flags.data.length !== 8)
    throw new Error(`${where}: miMATRIX does not start with array flags`);
  const fv = new DataView(flags.data.buffer, flags.data.byteOffset, 8);
  const mxClass = fv.getUint32(0, true) & 0xff;
  const complex = (fv.getUint32(0, true) & 0x0800) !== 0;
  const dimsEl = readElement(buf, view, flags.next, where);
  if (dimsEl.type !== MI.INT32) throw new Error(`${where}: miMATRIX dimensions are not miINT32`);
  const dims = Array.from(typed(MI.INT32, dimsEl.data, where));
  const nameEl = readElement(buf, view, dimsEl.next, where);
  const name = new TextDecoder().decode(nameEl.data);
  const className = MX_CLASS_NAMES[mxClass] ?? `class-${mxClass}`;
  if (!NUMERIC_CLASSES.has(mxClass)) return null; // cells, structs, chars: not needed here
  if (complex) throw new Error(`${where}: variable '${name}' is complex, which this reader does not support`);
  const real = readElement(buf, view, nameEl.next, `${where} variable '${name}'`);
  const data = typed(real.type, real.data, `${where} variable '${name}'`);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new Error(
      `${where}: variable '${name}' has ${data.length} values but dimensions [${dims.join(', ')}] need ${expected}`,
    );
  }
  return { name, className, dims, data };
}

/** Parses every numeric variable of a v5 MAT-file. `file` names the source in errors. */
export function parseMatV5(bytes: Uint8Array, file: string): Map<string, MatArray> {
  if (bytes.length < 128) throw new Error(`${file}: truncated MAT header (${bytes.length} of 128 bytes)`);
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 116));
  if (text.startsWith('MATLAB 7.3'))
    throw new Error(`${file}: MATLAB 7.3 (HDF5) files are not supported; save with -v7 or earlier`);
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian === 'MI') throw new Error(`${file}: big-endian MAT-files are not supported`);
  if (endian !== 'IM' || !text.startsWith('MATLAB 5.0 MAT-file'))
    throw new Error(`${file}: not a MATLAB v5 MAT-file (bad header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(124, true);
  if (version !== 0x0100) throw new Error(`${file}: MAT version 0x${version.toString(16)} is not 0x0100`);
  const vars = new Map<string, MatArray>();
  let at = 128;
  while (at < bytes.length) {
    const el = readElement(bytes, view, at, file);
    let matrix: Uint8Array | null = null;
    if (el.type === MI.COMPRESSED) {
      let inner: Uint8Array;
      try {
        inner = inflateSync(el.data);
      } catch (err) {
        throw new Error(`${file}: corrupt compressed element at byte ${at} (${(err as Error).message})`);
      }
      const iv = new DataView(inner.buffer, inner.byteOffset, inner.byteLength);
      const wrapped = readElement(inner, iv, 0, `${file} (compressed element at byte ${at})`);
      if (wrapped.type === MI.MATRIX) matrix = wrapped.data;
    } else if (el.type === MI.MATRIX) {
      matrix = el.data;
    }
    if (matrix && matrix.length > 0) {
      const arr = parseMatrix(matrix, file);
      if (arr) vars.set(arr.name, arr);
    }
    at = el.next;
  }
  return vars;
}
