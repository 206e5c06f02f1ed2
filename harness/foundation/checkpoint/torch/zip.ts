/**
 * @module A small synchronous zip reader for torch.save archives: the end-of-central-directory record
 * (and its ZIP64 form), the central directory, and each entry's local header to find its data. torch
 * writes stored (uncompressed) entries, padded to 64-byte alignment; deflated entries (a checkpoint
 * repacked by a zip tool) are inflated too. Every entry's CRC-32 is checked when it is read.
 */
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  file: string;
  entries: Map<string, ZipEntry>;
  /** The entry's bytes; a clear error naming the file and the entry when it is missing or cut short. */
  read(name: string): Uint8Array;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === LOCAL;
}

function findEocd(v: DataView, file: string): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end of the file.
  const last = v.byteLength - 22;
  for (let at = last; at >= 0 && at >= last - 65535; at--) {
    if (v.getUint32(at, true) === EOCD && at + 22 + v.getUint16(at + 20, true) === v.byteLength) return at;
  }
  throw new Error(`${file}: truncated or not a zip archive (no end-of-central-directory record in its last bytes)`);
}

/** Reads the central directory; entries are read lazily by `read`. */
export function readZip(bytes: Uint8Array, file: string): ZipArchive {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEocd(v, file);
  let count = v.getUint16(eocd + 10, true);
  let cdSize = v.getUint32(eocd + 12, true);
  let cdOffset = v.getUint32(eocd + 16, true);
  if (eocd >= 20 && v.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const at = Number(v.getBigUint64(eocd - 12, true));
    if (at + 56 > bytes.length || v.getUint32(at, true) !== ZIP64_EOCD) {
      throw new Error(`${file}: damaged zip archive (ZIP64 end-of-central-directory record not found at ${at})`);
    }
    count = Number(v.getBigUint64(at + 32, true));
    cdSize = Number(v.getBigUint64(at + 40, true));
    cdOffset = Number(v.getBigUint64(at + 48, true));
  }
  if (cdOffset + cdSize > eocd) {
    const where = `central directory at ${cdOffset}..${cdOffset + cdSize}, file has ${bytes.length} bytes`;
    throw new Error(`${file}: truncated zip archive (${where})`);
  }
  const entries = new Map<string, ZipEntry>();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || v.getUint32(at, true) !== CENTRAL) {
      throw new Error(`${file}: damaged zip archive (central directory entry ${i} of ${count} is not where expected)`);
    }
    const nameLength = v.getUint16(at + 28, true);
    const extraLength = v.getUint16(at + 30, true);
    const commentLength = v.getUint16(at + 32, true);
    const name = Buffer.from(bytes.subarray(at + 46, at + 46 + nameLength)).toString('utf8');
    const entry: ZipEntry = {
      name,
      method: v.getUint16(at + 10, true),
      crc: v.getUint32(at + 16, true),
      compressedSize: v.getUint32(at + 20, true),
      size: v.getUint32(at + 24, true),
      localHeaderOffset: v.getUint32(at + 42, true),
    };
    readZip64Extra(v, at + 46 + nameLength, extraLength, entry);
    entries.set(name, entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return { file, entries, read: (name) => readEntry(bytes, v, file, entries, name) };
}

/** Sizes and offsets that do not fit 32 bits are 0xffffffff, with the real values in extra field 0x0001. */
function readZip64Extra(v: DataView, start: number, length: number, entry: ZipEntry): void {
  for (let at = start; at + 4 <= start + length; ) {
    const id = v.getUint16(at, true);
    const size = v.getUint16(at + 2, true);
    if (id === 0x0001) {
      let field = at + 4;
      const next = () => {
        const value = Number(v.getBigUint64(field, true));
        field += 8;
        return value;
      };
      if (entry.size === U32_MAX) entry.size = next();
      if (entry.compressedSize === U32_MAX) entry.compressedSize = next();
      if (entry.localHeaderOffset === U32_MAX) entry.localHeaderOffset = next();
    }
    at += 4 + size;
  }
}

function readEntry(
  bytes: Uint8Array,
  v: DataView,
  file: string,
  entries: Map<string, ZipEntry>,
  name: string,
): Uint8Array {
  const entry = entries.get(name);
  if (!entry) throw new Error(`${file}: zip entry ${name} is missing`);
  const local = entry.localHeaderOffset;
  if (local + 30 > bytes.length || v.getUint32(local, true) !== LOCAL) {
    throw new Error(`${file}: zip entry ${name}: no local header at offset ${local} (damaged archive)`);
  }
  const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) {
    throw new Error(`${file}: zip entry ${name} is cut short (needs bytes ${start}..${end}, file has ${bytes.length})`);
  }
  let data = bytes.subarray(start, end);
  if (entry.method === 8) data = inflateRawSync(data);
  else if (entry.method !== 0) {
    throw new Error(
      `${file}: zip entry ${name} uses compression method ${entry.method} (only stored and deflate read)`,
    );
  }
  if (data.length !== entry.size) {
    throw new Error(`${file}: zip entry ${name} has ${data.length} bytes, its header says ${entry.size}`);
  }
  if (crc32(data) !== entry.crc) throw new Error(`${file}: zip entry ${name} fails its CRC-32 check (corrupted data)`);
  return data;
}
