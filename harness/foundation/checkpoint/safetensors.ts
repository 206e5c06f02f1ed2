/**
 * @module safetensors: 8-byte little-endian header length N, N bytes of JSON header
 * ({ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__: { string: string } }),
 * then the raw little-endian data. Parsing validates every offset against the file so a truncated
 * or hand-edited file fails with what is wrong, naming the file.
 */
import { DTYPE_BYTES } from './dtypes.ts';

export type SafeDtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: Uint8Array;
}

export interface SafeFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

export function encodeSafetensors(tensors: Map<string, SafeTensor>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, file: string): SafeFile {
  if (bytes.length < 8)
    throw new Error(`${file}: truncated safetensors file (${bytes.length} bytes, no header length)`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length)
    throw new Error(`${file}: truncated safetensors file (header of ${n} bytes, file has ${bytes.length})`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  } catch (err) {
    throw new Error(`${file}: safetensors header is not valid JSON (${(err as Error).message})`);
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (!e.dtype || !Object.hasOwn(DTYPE_BYTES, e.dtype))
      throw new Error(`${file}: tensor ${name} has unknown dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || !Array.isArray(e.data_offsets))
      throw new Error(`${file}: tensor ${name} lacks shape or data_offsets`);
    const [begin, end] = e.data_offsets;
    if (end > dataLength || begin > end) {
      throw new Error(
        `${file}: truncated safetensors file (tensor ${name} needs bytes ${begin}..${end}, data has ${dataLength})`,
      );
    }
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (count * DTYPE_BYTES[e.dtype as SafeDtype] !== end - begin) {
      throw new Error(
        `${file}: tensor ${name} has ${end - begin} bytes but shape [${e.shape}] of ${e.dtype} needs ${count * DTYPE_BYTES[e.dtype as SafeDtype]}`,
      );
    }
    tensors.set(name, {
      dtype: e.dtype as SafeDtype,
      shape: e.shape,
      data: bytes.subarray(dataStart + begin, dataStart + end),
    });
  }
  return { tensors, metadata };
}
