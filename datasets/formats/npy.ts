/**
 * @module NumPy `.npy` (the format of CIFAR-10-C / CIFAR-100-C): magic `\x93NUMPY`, major/minor version,
 * header length (uint16 LE in v1, uint32 LE in v2/v3), an ASCII dict with `descr`, `fortran_order` and
 * `shape`, then the C-order data. `readNpyRows` reads a row range straight from the file, so one
 * severity of a 50000-image corruption file costs one 30 MB read, not 150 MB.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface NpyHeader {
  /** numpy dtype string, e.g. `|u1`, `<i8`. */
  descr: string;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
}

export type NpyData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

const ITEM: Record<string, { size: number; make: (b: ArrayBuffer, o: number, n: number) => NpyData }> = {
  u1: { size: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  i1: { size: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  u2: { size: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  i2: { size: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  u4: { size: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  i4: { size: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  f4: { size: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  f8: { size: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  i8: { size: 8, make: (b, o, n) => Float64Array.from(new BigInt64Array(b, o, n), (v) => Number(v)) },
  u8: { size: 8, make: (b, o, n) => Float64Array.from(new BigUint64Array(b, o, n), (v) => Number(v)) },
};

function dtypeOf(descr: string, file: string) {
  const m = /^([<>|=])([uif]\d)$/.exec(descr);
  const item = m && ITEM[m[2]];
  if (!m || !item) throw new Error(`${file}: unsupported dtype '${descr}'`);
  if (m[1] === '>' && item.size > 1) throw new Error(`${file}: big-endian dtype '${descr}' is not supported`);
  return item;
}

/** Parses the header from the first bytes of a file (the whole file or at least its header). */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b))
    throw new Error(`${file}: not a .npy file (bad magic)`);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new Error(`${file}: unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v1 = major === 1;
  if (!v1 && bytes.length < 12) throw new Error(`${file}: truncated .npy header`);
  const headerLen = v1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = v1 ? 10 : 12;
  if (bytes.length < start + headerLen)
    throw new Error(`${file}: truncated .npy header (needs ${start + headerLen} bytes, has ${bytes.length})`);
  const dict = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(dict)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(dict)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new Error(`${file}: malformed .npy header '${dict.trim()}'`);
  if (fortran === 'True') throw new Error(`${file}: Fortran-order arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new Error(`${file}: bad shape (${shapeText}) in the .npy header`);
  return { descr, shape, dataOffset: start + headerLen, itemSize: dtypeOf(descr, file).size };
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Parses a whole .npy file held in memory. */
export function parseNpy(bytes: Uint8Array, file: string): { header: NpyHeader; data: NpyData } {
  const header = parseNpyHeader(bytes, file);
  const n = elementCount(header.shape);
  const need = n * header.itemSize;
  const have = bytes.length - header.dataOffset;
  if (have < need)
    throw new Error(
      `${file}: truncated: shape (${header.shape.join(', ')}) needs ${need} data bytes, the file has ${have}`,
    );
  // A real copy (Buffer.slice would be a view), so multi-byte views start aligned at offset 0.
  const raw = new Uint8Array(bytes.subarray(header.dataOffset, header.dataOffset + need));
  return { header, data: dtypeOf(header.descr, file).make(raw.buffer, 0, n) };
}

/** Reads rows [first, first + count) of the first axis from a .npy file on disk, as raw bytes. */
export function readNpyRows(file: string, first: number, count: number): { header: NpyHeader; bytes: Uint8Array } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 65536));
    readSync(fd, head, 0, head.length, 0);
    const header = parseNpyHeader(head, file);
    const rows = header.shape[0] ?? 1;
    const rowBytes = (elementCount(header.shape) / Math.max(1, rows)) * header.itemSize;
    const need = header.dataOffset + elementCount(header.shape) * header.itemSize;
    if (size < need)
      throw new Error(
        `${file}: truncated: shape (${header.shape.join(', ')}) needs ${need} bytes, the file has ${size}`,
      );
    if (first < 0 || count < 0 || first + count > rows)
      throw new Error(`${file}: rows ${first}..${first + count - 1} outside 0..${rows - 1}`);
    const bytes = new Uint8Array(count * rowBytes);
    let done = 0;
    while (done < bytes.length) {
      const got = readSync(fd, bytes, done, bytes.length - done, header.dataOffset + first * rowBytes + done);
      if (got === 0) throw new Error(`${file}: unexpected end of file`);
      done += got;
    }
    return { header, bytes };
  } finally {
    closeSync(fd);
  }
}

/** Converts a typed array of the given dtype (already parsed) to Int32 labels. */
export function toInt32(data: NpyData): Int32Array {
  return Int32Array.from(data as ArrayLike<number>);
}
