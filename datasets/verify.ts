/**
 * @module What a dataset has on disk and whether it is intact: its source files (recomputing their
 * checksums) and its split-cache entries (recomputing their sha256). Used by `rftbench datasets
 * info | verify`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { digest, fileDigest } from './download.ts';
import { fileStates } from './sources.ts';
import { listCacheEntries, verifyCacheEntry } from './split-cache.ts';
import type { Dataset, LoadOptions } from './types.ts';

export interface VerifyRow {
  kind: 'source' | 'cache';
  path: string;
  state: 'ok' | 'mismatch' | 'absent';
  detail: string;
}

export async function verifyDataset(ds: Dataset, opts: LoadOptions): Promise<VerifyRow[]> {
  const rows: VerifyRow[] = [];
  if (ds.source) {
    for (const s of fileStates(ds.source, opts)) {
      const { checksum } = s.file;
      if (s.size === undefined) {
        rows.push({
          kind: 'source',
          path: s.path,
          state: 'absent',
          detail: s.provided
            ? 'not downloaded; its contents are present (placed by hand or extracted), so they cannot be checked against it'
            : 'not downloaded',
        });
        continue;
      }
      const actual = checksum.ofDecompressed
        ? digest(maybeGunzip(readFileSync(s.path)), checksum.algorithm)
        : await fileDigest(s.path, checksum.algorithm);
      rows.push(
        actual === checksum.hex
          ? { kind: 'source', path: s.path, state: 'ok', detail: `${checksum.algorithm} ${actual}, ${s.size} bytes` }
          : {
              kind: 'source',
              path: s.path,
              state: 'mismatch',
              detail: `${checksum.algorithm} is ${actual}, expected ${checksum.hex}`,
            },
      );
    }
  }
  if (ds.folder && existsSync(join(ds.folder, 'cache'))) {
    for (const e of listCacheEntries(ds.folder)) {
      const problem = await verifyCacheEntry(e);
      rows.push(
        problem
          ? { kind: 'cache', path: e.data, state: 'mismatch', detail: problem }
          : {
              kind: 'cache',
              path: e.data,
              state: 'ok',
              detail: `sha256 ${e.meta.sha256.slice(0, 16)}..., ${e.meta.n} images ${e.meta.shape.join('x')}, version ${e.meta.version}`,
            },
      );
    }
  }
  return rows;
}

function maybeGunzip(b: Uint8Array): Uint8Array {
  return b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b;
}
