/**
 * @module Files written atomically, the one way every checkpoint, cache entry, state file and record file is
 * written: a temporary file in the same folder, fsync, then a rename. A kill leaves the old file or the new
 * one, never half of either; a failed write (a full disk) removes the temporary file, leaves the previous
 * file byte for byte, and throws `cannot write <path>: <cause>` (see fs-error.ts).
 */
import * as nodeFs from 'node:fs';
import { dirname } from 'node:path';
import { WriteError } from './fs-error.ts';

/** The calls used here, injectable so a test can make the disk fill up at a chosen byte. */
export type AtomicFs = Pick<
  typeof nodeFs,
  'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync' | 'mkdirSync'
>;

export interface AtomicFile {
  path: string;
  /** Text (UTF-8), bytes, or chunks written one after another (no concatenated copy of a large file). */
  data: string | Uint8Array | readonly Uint8Array[];
}

export interface AtomicWriteOptions {
  fs?: AtomicFs;
  /** Runs after every temporary file is complete and before the first rename. */
  beforeRename?: () => void;
}

let sequence = 0;

function writeAll(fs: AtomicFs, fd: number, data: AtomicFile['data']): void {
  const chunks = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
  for (const chunk of chunks) {
    // writeSync may write fewer bytes than asked; loop until the chunk is out.
    for (let off = 0; off < chunk.byteLength; ) off += fs.writeSync(fd, chunk, off, chunk.byteLength - off);
  }
}

/**
 * Writes every file to a temporary file first; only when all are complete are they renamed into place,
 * in order. On a failure before the renames nothing changes on disk.
 */
export function writeFilesAtomic(
  files: readonly AtomicFile[],
  { fs = nodeFs, beforeRename }: AtomicWriteOptions = {},
): void {
  const temps: string[] = [];
  let current = files[0]?.path ?? '';
  try {
    for (const { path, data } of files) {
      current = path;
      fs.mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}-${++sequence}`;
      temps.push(tmp);
      const fd = fs.openSync(tmp, 'w');
      try {
        writeAll(fs, fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    beforeRename?.();
    for (const [i, { path }] of files.entries()) {
      current = path;
      fs.renameSync(temps[i], path);
    }
  } catch (err) {
    for (const tmp of temps) fs.rmSync(tmp, { force: true });
    throw err instanceof WriteError ? err : new WriteError(current, err);
  }
  syncFolders(files.map((f) => dirname(f.path)));
}

/** fsync of the folder makes the rename itself durable; best effort (not every file system allows it). */
function syncFolders(dirs: string[]): void {
  for (const dir of new Set(dirs)) {
    try {
      const fd = nodeFs.openSync(dir, 'r');
      try {
        nodeFs.fsyncSync(fd);
      } finally {
        nodeFs.closeSync(fd);
      }
    } catch {
      // the data itself is synced; only the rename's durability is not guaranteed here
    }
  }
}

export function writeFileAtomic(path: string, data: AtomicFile['data'], opts?: AtomicWriteOptions): void {
  writeFilesAtomic([{ path, data }], opts);
}

export function writeJsonAtomic(path: string, value: unknown, opts?: AtomicWriteOptions): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, opts);
}
