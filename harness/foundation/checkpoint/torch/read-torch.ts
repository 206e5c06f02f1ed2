/**
 * @module Reads a torch.save file without Python and without running anything from it, in both formats:
 * - zip (torch >= 1.6): `<archive>/data.pkl` whose persistent ids ('storage', type, key, location, numel)
 *   name raw storages `<archive>/data/<key>`, plus `<archive>/version` and (newer torch) `byteorder`;
 * - legacy (older torch, `_use_new_zipfile_serialization=False`): pickles back to back (magic number,
 *   protocol version, sys_info, the object with ids ('storage', type, key, location, numel, view), the
 *   sorted storage keys), then per key an int64 element count and the raw little-endian bytes.
 * The result keeps the object tree with TorchTensor values; placeholders name what was not interpreted.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DTYPE_BYTES } from '../dtypes.ts';
import { torchGlobals, StorageView } from './globals.ts';
import { describe, Placeholder, unpickle } from './pickle.ts';
import { checkTensor, TorchStorage, TorchStorageType, type TorchTensor } from './tensor.ts';
import { isZip, readZip, type ZipArchive } from './zip.ts';

export { TorchTensor } from './tensor.ts';
export { Placeholder } from './pickle.ts';

export interface TorchFile {
  path: string;
  sha256: string;
  /** The unpickled top-level object: tensors appear as TorchTensor values inside plain JS objects/arrays/Maps. */
  root: unknown;
  /** Every global the file named that we did not interpret (e.g. 'argparse.Namespace'), once each. */
  placeholders: string[];
  format: 'torch-zip' | 'torch-legacy';
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

export function readFileBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read ${what} (${(err as Error).message})`);
  }
}

export function readTorchFile(path: string): TorchFile {
  const bytes = readFileBytes(path, 'PyTorch checkpoint');
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), ...parseTorch(bytes, path) };
}

/** A legacy file starts with a protocol-2+ pickle (0x80 0x02..0x05); a zip with its local header. */
export function torchFormatOf(bytes: Uint8Array): TorchFile['format'] | undefined {
  if (isZip(bytes)) return 'torch-zip';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'torch-legacy';
  return undefined;
}

export function parseTorch(bytes: Uint8Array, file: string): Omit<TorchFile, 'path' | 'sha256'> {
  const format = torchFormatOf(bytes);
  if (format === 'torch-zip') return { format, ...readZipFormat(bytes, file) };
  if (format === 'torch-legacy') return { format, ...readLegacyFormat(bytes, file) };
  throw new Error(`${file}: not a torch.save file (it starts neither with a zip header nor with a pickle)`);
}

interface Loaded {
  root: unknown;
  placeholders: string[];
}

function storageId(pid: unknown, file: string): { type: TorchStorageType; key: string; numel: number; view: unknown } {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
    throw new Error(`${file}: unexpected persistent id ${describe(pid)} (only storages are read)`);
  }
  const [, type, key, , numel, view] = pid;
  if (typeof key !== 'string') throw new Error(`${file}: storage key is a ${describe(key)}`);
  if (!(type instanceof TorchStorageType)) {
    const name = type instanceof Placeholder ? type.$global : describe(type);
    throw new Error(`${file}: storage ${key} has type ${name}, which rftbench does not read`);
  }
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
    throw new Error(`${file}: storage ${key} has an invalid element count ${String(numel)}`);
  }
  return { type, key, numel, view };
}

function readZipFormat(bytes: Uint8Array, file: string): Loaded {
  const zip = readZip(bytes, file);
  const pkl = [...zip.entries.keys()].find((n) => n.endsWith('data.pkl') && n.split('/').length === 2);
  if (!pkl) {
    const script = [...zip.entries.keys()].some((n) => n.endsWith('constants.pkl'));
    const hint = script ? ' (a TorchScript archive? save a state dict)' : '';
    throw new Error(`${file}: zip archive has no <archive>/data.pkl entry, so it is not a torch.save file${hint}`);
  }
  const prefix = pkl.slice(0, -'data.pkl'.length);
  checkByteOrder(zip, `${prefix}byteorder`);
  const storages = new Map<string, TorchStorage>();
  const made: TorchTensor[] = [];
  const { value, placeholders } = unpickle(zip.read(pkl), 0, {
    file: `${file} (${pkl})`,
    resolveGlobal: torchGlobals(made),
    persistentLoad(pid) {
      const { type, key, numel } = storageId(pid, file);
      let s = storages.get(key);
      if (!s) {
        s = new TorchStorage(key, type, numel, `zip entry ${prefix}data/${key}`);
        s.bytes = zip.read(`${prefix}data/${key}`);
        storages.set(key, s);
      }
      return s;
    },
  });
  for (const t of made) checkTensor(t, file);
  return { root: value, placeholders };
}

function checkByteOrder(zip: ZipArchive, name: string): void {
  if (!zip.entries.has(name)) return; // torch < 2.1 writes none: little-endian
  const order = Buffer.from(zip.read(name)).toString('latin1').trim();
  if (order !== 'little') {
    throw new Error(`${zip.file}: ${name} says ${JSON.stringify(order)}; only little-endian checkpoints are read`);
  }
}

function readLegacyFormat(bytes: Uint8Array, file: string): Loaded {
  const plain = { file, resolveGlobal: () => undefined };
  let header;
  try {
    header = unpickle(bytes, 0, plain);
  } catch (err) {
    throw new Error(`${file}: not a PyTorch checkpoint (its first pickle does not read: ${(err as Error).message})`);
  }
  if (header.value !== LEGACY_MAGIC) {
    throw new Error(`${file}: not a PyTorch checkpoint (wrong magic number ${String(header.value)})`);
  }
  const protocol = unpickle(bytes, header.end, plain);
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw new Error(`${file}: legacy protocol version ${String(protocol.value)}, expected ${LEGACY_PROTOCOL}`);
  }
  const sysInfo = unpickle(bytes, protocol.end, plain);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new Error(`${file}: written on a big-endian machine; only little-endian checkpoints are read`);
  }

  const storages = new Map<string, TorchStorage>();
  const made: TorchTensor[] = [];
  const main = unpickle(bytes, sysInfo.end, {
    file,
    resolveGlobal: torchGlobals(made),
    persistentLoad(pid) {
      // ('module', class, source file, source) ids come from whole-module saves: keep the class.
      if (Array.isArray(pid) && pid[0] === 'module') return pid[1];
      const { type, key, numel, view } = storageId(pid, file);
      let s = storages.get(key);
      if (!s) storages.set(key, (s = new TorchStorage(key, type, numel, `legacy storage ${key}`)));
      if (Array.isArray(view) && typeof view[1] === 'number') return new StorageView(s, view[1]);
      return s;
    },
  });

  const keys = unpickle(bytes, main.end, plain);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw new Error(`${file}: the storage key list after the main pickle is a ${describe(keys.value)}`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keys.end;
  for (const key of keys.value as string[]) {
    const s = storages.get(key);
    if (!s) throw new Error(`${file}: storage ${key} has data but no tensor refers to it`);
    if (s.bytes) throw new Error(`${file}: storage ${key} is listed twice`);
    if (at + 8 > bytes.length) {
      throw new Error(`${file}: truncated legacy checkpoint (storage ${key}: no element count at byte ${at})`);
    }
    const count = Number(v.getBigInt64(at, true));
    if (count !== s.numel) {
      throw new Error(`${file}: storage ${key} holds ${count} elements on disk, its tensors declare ${s.numel}`);
    }
    const end = at + 8 + count * DTYPE_BYTES[s.dtype];
    if (end > bytes.length) {
      const why = `storage ${key} needs bytes ${at + 8}..${end}, file has ${bytes.length}`;
      throw new Error(`${file}: truncated legacy checkpoint (${why})`);
    }
    s.bytes = bytes.subarray(at + 8, end);
    at = end;
  }
  for (const [key, s] of storages) {
    if (!s.bytes) throw new Error(`${file}: storage ${key} is referenced but its data is not in the file`);
  }
  for (const t of made) checkTensor(t, file);
  const placeholders = [...new Set([header, protocol, sysInfo, main, keys].flatMap((p) => p.placeholders))];
  return { root: main.value, placeholders };
}
