/**
 * @module The preprocessed split cache: a decoded split is kept as one raw file (uint8 NHWC images, then
 * int32 little-endian labels) plus a small JSON index, under `<data>/<id>/cache/<version>/<split>.*`.
 * Both are written to temporary names and renamed, the index last, so a split is either wholly in
 * the cache or absent. The index records the sha256 of the raw file (checked by `rftbench datasets
 * verify`, not on every load) and the size and mtime of the source files it was built from: if any of
 * them changed, the entry is rebuilt. Deleting the source files after caching is fine.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFilesAtomic } from '../harness/foundation/util/atomic-write.ts';
import { fileDigest } from './download.ts';
import type { DataSplit } from './types.ts';

export const CACHE_FORMAT = 'rftbench-split-v1';

export interface CacheIndex {
  format: typeof CACHE_FORMAT;
  version: string;
  split: string;
  n: number;
  shape: [number, number, number];
  imageBytes: number;
  labelBytes: number;
  sha256: string;
  /** Source files (absolute paths) with the size and mtime they had when the entry was built. */
  sources: { path: string; size: number; mtimeMs: number }[];
  created: string;
}

export interface CacheKey {
  /** The dataset's folder, `<data>/<id>`. */
  folder: string;
  version: string;
  /** `train`, `test`, or a corruption split such as `gaussian_noise-3`. */
  split: string;
}

export function cachePaths(key: CacheKey): { dir: string; data: string; index: string } {
  const dir = join(key.folder, 'cache', key.version.replace(/[^A-Za-z0-9._-]+/g, '_'));
  return { dir, data: join(dir, `${key.split}.u8`), index: join(dir, `${key.split}.json`) };
}

function fingerprint(paths: string[]): CacheIndex['sources'] {
  return paths.filter(existsSync).map((path) => {
    const s = statSync(path);
    return { path, size: s.size, mtimeMs: Math.round(s.mtimeMs) };
  });
}

/** Why an entry cannot be used, or undefined when it can. */
function staleReason(index: CacheIndex, key: CacheKey, dataFile: string): string | undefined {
  if (index.format !== CACHE_FORMAT || index.version !== key.version || index.split !== key.split)
    return 'index is for another format or version';
  if (!existsSync(dataFile)) return `${dataFile} is missing`;
  const size = statSync(dataFile).size;
  if (size !== index.imageBytes + index.labelBytes)
    return `${dataFile} has ${size} bytes, the index says ${index.imageBytes + index.labelBytes}`;
  for (const s of index.sources) {
    if (!existsSync(s.path)) continue;
    const now = statSync(s.path);
    if (now.size !== s.size || Math.round(now.mtimeMs) !== s.mtimeMs)
      return `source ${s.path} changed since the cache was built`;
  }
  return undefined;
}

export function readCachedSplit(key: CacheKey, log?: (line: string) => void): DataSplit | undefined {
  const { data, index: indexFile } = cachePaths(key);
  if (!existsSync(indexFile)) return undefined;
  let index: CacheIndex;
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8')) as CacheIndex;
  } catch {
    log?.(`cache: ignoring unreadable ${indexFile}`);
    return undefined;
  }
  const stale = staleReason(index, key, data);
  if (stale) {
    log?.(`cache: rebuilding ${key.split} (${stale})`);
    return undefined;
  }
  const bytes = readFileSync(data);
  const images = new Uint8Array(bytes.buffer, bytes.byteOffset, index.imageBytes);
  const labels = new Int32Array(
    bytes.buffer.slice(bytes.byteOffset + index.imageBytes, bytes.byteOffset + index.imageBytes + index.labelBytes),
  );
  log?.(`cache: ${key.split} from ${data}`);
  return { images, labels, n: index.n, shape: index.shape };
}

export function writeCachedSplit(key: CacheKey, split: DataSplit, sources: string[]): void {
  const { dir, data, index } = cachePaths(key);
  mkdirSync(dir, { recursive: true });
  const labels = new Uint8Array(split.labels.buffer, split.labels.byteOffset, split.labels.byteLength);
  const sha256 = createHash('sha256').update(split.images).update(labels).digest('hex');
  const entry: CacheIndex = {
    format: CACHE_FORMAT,
    version: key.version,
    split: key.split,
    n: split.n,
    shape: [split.shape[0], split.shape[1], split.shape[2]],
    imageBytes: split.images.byteLength,
    labelBytes: labels.byteLength,
    sha256,
    sources: fingerprint(sources),
    created: new Date().toISOString(),
  };
  // Little-endian int32 labels: every platform Node runs on here is little-endian. A failed write (a full
  // disk) leaves the previous entry as it was; an old index must not describe the new data file, even for
  // a moment, so it goes just before the renames.
  writeFilesAtomic(
    [
      { path: data, data: [split.images, labels] },
      { path: index, data: `${JSON.stringify(entry, null, 2)}\n` },
    ],
    { beforeRename: () => rmSync(index, { force: true }) },
  );
}

/** The cached split if present and current; otherwise builds it, caches it and returns it. */
export async function cachedSplit(
  key: CacheKey,
  sources: () => string[],
  build: () => Promise<DataSplit>,
  log?: (line: string) => void,
): Promise<DataSplit> {
  const hit = readCachedSplit(key, log);
  if (hit) return hit;
  const split = await build();
  writeCachedSplit(key, split, sources());
  log?.(`cache: wrote ${cachePaths(key).data}`);
  return split;
}

export interface CacheEntry {
  index: string;
  data: string;
  meta: CacheIndex;
}

/** Every cache entry under a dataset folder (all versions). */
export function listCacheEntries(folder: string): CacheEntry[] {
  const root = join(folder, 'cache');
  if (!existsSync(root)) return [];
  const out: CacheEntry[] = [];
  for (const version of readdirSync(root).sort()) {
    const dir = join(root, version);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.json')) continue;
      const index = join(dir, f);
      try {
        out.push({
          index,
          data: index.replace(/\.json$/, '.u8'),
          meta: JSON.parse(readFileSync(index, 'utf8')) as CacheIndex,
        });
      } catch {
        out.push({
          index,
          data: index.replace(/\.json$/, '.u8'),
          meta: { format: 'unreadable' } as unknown as CacheIndex,
        });
      }
    }
  }
  return out;
}

/** Recomputes an entry's sha256; returns a problem, or undefined when it matches. */
export async function verifyCacheEntry(e: CacheEntry): Promise<string | undefined> {
  if (e.meta.format !== CACHE_FORMAT) return `unreadable index ${e.index}`;
  if (!existsSync(e.data)) return `${e.data} is missing`;
  const size = statSync(e.data).size;
  if (size !== e.meta.imageBytes + e.meta.labelBytes)
    return `${e.data} has ${size} bytes, the index says ${e.meta.imageBytes + e.meta.labelBytes}`;
  const actual = await fileDigest(e.data, 'sha256');
  return actual === e.meta.sha256 ? undefined : `sha256 is ${actual}, the index says ${e.meta.sha256}`;
}
