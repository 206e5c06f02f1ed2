/**
 * @module A published checkpoint's file on this machine. A `path` is used where it is. A `url` has its copy
 * in `<data>/sources/external/<file name>`: used without network when present (put there by hand on an
 * offline machine), else downloaded once (resumable, into a temporary file renamed only after the check).
 * Every use checks the copy's sha256 against the published one or, without one, the pin of its first use.
 */
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { dataRoot } from '../../../datasets/cache-dir.ts';
import { ChecksumError, downloadResumable, fileDigest, type DownloadOptions } from '../../../datasets/download.ts';
import type { ExternalSource } from '../../protocol/schema.ts';
import { addPin, readPins } from './checkpoint-pins.ts';

type CheckpointRef = ExternalSource['checkpoint'];

export interface CheckpointFile {
  /** The file on this machine. */
  path: string;
  sha256: string;
  /** The url, or the path as the task gives it. */
  origin: string;
  /** What the sha256 was checked against. */
  verifiedBy: 'published sha256' | 'pin' | 'pinned now' | 'unchecked path';
}

export interface ObtainOptions {
  dataDir?: string;
  log?: (message: string) => void;
  /** false: never download (a missing copy is an error naming where to put it). Default true. */
  download?: boolean;
  /** Timeouts and retries of the download (datasets/download.ts). */
  downloadOptions?: DownloadOptions;
}

/** `<data>/sources/external`: downloaded checkpoints, and pins.json. */
export function externalFolder(dataDir?: string): string {
  return join(dataRoot({ dataDir }), 'sources', 'external');
}

/** The copy's name: `fileName`, else the URL's last path segment. */
export function checkpointFileName(c: CheckpointRef): string {
  if (c.fileName) return c.fileName;
  if (!c.url) throw new Error('checkpointFileName: a path source has no downloaded copy');
  return decodeURIComponent(basename(new URL(c.url).pathname));
}

/** The file is there but is no checkpoint (an error page, another format): retrying the network cannot help. */
export class NotACheckpointError extends Error {
  override name = 'NotACheckpointError';
}

/**
 * A quick look at the first bytes, so an HTML error page served with status 200 (Google Drive's quota page)
 * is never pinned: PyTorch files are zip archives or pickles, safetensors start with a JSON header.
 */
export function checkFileKind(file: string, format: CheckpointRef['format'], what: string): void {
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const zipOrPickle = n >= 4 && (head.readUInt32LE(0) === 0x04034b50 || head[0] === 0x80);
  const ok = format === 'torch' ? zipOrPickle : n >= 9 && head[8] === 0x7b; // safetensors: u64 length, then '{'
  if (!ok) {
    const text = head
      .subarray(0, n)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '.');
    const kind = format === 'torch' ? 'PyTorch' : 'safetensors';
    throw new NotACheckpointError(`${what}: does not look like a ${kind} file (it starts with '${text}')`);
  }
}

function offlineHint(url: string, folder: string, name: string): string {
  return `without network, download ${url} elsewhere and put it in ${folder} as ${name}`;
}

export async function obtainCheckpoint(c: CheckpointRef, opts: ObtainOptions = {}): Promise<CheckpointFile> {
  if (c.path !== undefined) return localCheckpoint(c, c.path);
  const url = c.url!;
  const folder = externalFolder(opts.dataDir);
  const name = checkpointFileName(c);
  const dest = join(folder, name);
  const pinsPath = join(folder, 'pins.json');
  const pinned = readPins(pinsPath)[url];
  const expected = c.sha256 ?? pinned?.sha256;
  const against = c.sha256 ? 'the sha256 the source gives' : `the sha256 pinned at its first use (${pinsPath})`;
  let sha256: string | undefined;
  if (!existsSync(dest)) {
    if (opts.download === false) throw new Error(`checkpoint ${url} is not here; ${offlineHint(url, folder, name)}`);
    opts.log?.(`source checkpoint: downloading ${url} to ${dest}`);
    try {
      await downloadResumable(
        url,
        dest,
        async (file) => {
          checkFileKind(file, c.format, `download ${url}`);
          sha256 = await fileDigest(file, 'sha256');
          if (expected && sha256 !== expected) {
            throw new ChecksumError(`download ${url}: sha256 is ${sha256}, expected ${against}: ${expected}`);
          }
        },
        { log: opts.log, ...opts.downloadOptions },
      );
    } catch (err) {
      if (err instanceof ChecksumError || err instanceof NotACheckpointError) throw err;
      throw new Error(`${(err as Error).message}\n  ${offlineHint(url, folder, name)}`);
    }
  }
  sha256 ??= await fileDigest(dest, 'sha256');
  if (expected) {
    if (sha256 !== expected) {
      throw new ChecksumError(
        `${dest}: sha256 is ${sha256}, but ${against} is ${expected}. The file changed since: delete it to download ${url} again` +
          (c.sha256 ? '' : `, or remove its entry from ${pinsPath} if the publisher replaced it on purpose`),
      );
    }
    return { path: dest, sha256, origin: url, verifiedBy: c.sha256 ? 'published sha256' : 'pin' };
  }
  checkFileKind(dest, c.format, dest); // a copy put there by hand is checked before it is pinned too
  await addPin(pinsPath, url, { sha256, file: name, bytes: statSync(dest).size, pinnedAt: Date.now() });
  opts.log?.(`source checkpoint: pinned ${name} at sha256 ${sha256} (${pinsPath})`);
  return { path: dest, sha256, origin: url, verifiedBy: 'pinned now' };
}

async function localCheckpoint(c: CheckpointRef, path: string): Promise<CheckpointFile> {
  const file = resolve(path);
  if (!existsSync(file)) throw new Error(`checkpoint ${path}: no such file (${file})`);
  const sha256 = await fileDigest(file, 'sha256');
  if (c.sha256 && sha256 !== c.sha256)
    throw new ChecksumError(`checkpoint ${file}: sha256 is ${sha256}, the source gives ${c.sha256}`);
  return { path: file, sha256, origin: path, verifiedBy: c.sha256 ? 'published sha256' : 'unchecked path' };
}
