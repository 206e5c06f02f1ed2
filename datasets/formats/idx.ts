/**
 * @module IDX (the MNIST family's format): magic `00 00 08 0N` (unsigned bytes, N dimensions), N
 * big-endian uint32 sizes, then the raw bytes. Accepts the gzip-compressed files as distributed.
 */
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (err) {
      throw new Error(`${file}: corrupt gzip stream (${(err as Error).message})`);
    }
  }
  return bytes;
}

export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  const bytes = maybeGunzip(raw, file);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`${file}: not an IDX file (bad magic)`);
  if (bytes[2] !== 0x08)
    throw new Error(`${file}: IDX element type 0x${bytes[2].toString(16)} is not unsigned byte (0x08)`);
  const ndim = bytes[3];
  if (ndim < 1 || bytes.length < 4 + 4 * ndim) throw new Error(`${file}: truncated IDX header (${ndim} dimensions)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * ndim;
  if (bytes.length - offset !== size) {
    throw new Error(
      `${file}: IDX data has ${bytes.length - offset} bytes but dimensions [${dims.join(', ')}] need ${size}`,
    );
  }
  return { dims, data: bytes.subarray(offset) };
}
