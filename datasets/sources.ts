/**
 * @module Where a dataset's files come from. Each dataset lives in `<data>/<id>/` (see cache-dir.ts);
 * a user may fill that folder by hand with the layout the archives produce (offline machines,
 * cluster scratch disks). What is missing is downloaded (checksum verified before use, see
 * download.ts) and extracted (see archive.ts). `mirror` replaces the official host for every file.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ArchiveKind, extractArchive } from './archive.ts';
import { dataRoot } from './cache-dir.ts';
import { type Checksum, downloadToFile } from './download.ts';
import type { LoadOptions } from './types.ts';

export interface SourceFile {
  /** File name in the dataset folder. */
  name: string;
  url: string;
  checksum: Checksum;
  /** Size in bytes, when known (shown by `datasets list`). */
  bytes?: number;
  /** An archive to extract; absent for files used as they are. */
  archive?: ArchiveKind;
  /** Paths relative to the dataset folder that this file provides: itself, or what extraction yields. */
  provides: string[];
}

export interface DatasetSource {
  /** The folder under the data root, usually the dataset id. */
  folderName: string;
  files: SourceFile[];
}

export function datasetFolder(source: DatasetSource, opts: LoadOptions): string {
  return join(dataRoot(opts), source.folderName);
}

function satisfies(need: string, provided: string): boolean {
  return need === provided || need.startsWith(`${provided}/`);
}

export function sourceUrl(file: SourceFile, opts: LoadOptions): string {
  return opts.mirror ? `${opts.mirror.replace(/\/+$/, '')}/${file.name}` : file.url;
}

/** One download + extraction per archive path at a time (train and test loads may ask together). */
const inFlight = new Map<string, Promise<void>>();

async function fetchAndExtract(id: string, file: SourceFile, folder: string, opts: LoadOptions): Promise<void> {
  const path = join(folder, file.name);
  if (!existsSync(path)) {
    opts.log?.(`${id}: downloading ${sourceUrl(file, opts)} to ${path}`);
    await downloadToFile(sourceUrl(file, opts), path, file.checksum, { log: opts.log });
  }
  if (file.archive && !file.provides.every((p) => existsSync(join(folder, p)))) {
    opts.log?.(`${id}: extracting ${path}`);
    await extractArchive(path, file.archive, folder, file.provides);
  }
}

/**
 * Makes sure `needs` (paths relative to the dataset folder) exist: downloads and extracts only the
 * files that provide a missing one. Returns the dataset folder.
 */
export async function ensureFiles(
  id: string,
  source: DatasetSource,
  needs: string[],
  opts: LoadOptions,
): Promise<string> {
  const folder = datasetFolder(source, opts);
  const missing = needs.filter((p) => !existsSync(join(folder, p)));
  if (missing.length === 0) return folder;
  for (const need of missing) {
    const file = source.files.find((f) => f.provides.some((p) => satisfies(need, p)));
    if (!file) throw new Error(`${id}: ${join(folder, need)} does not exist`);
    if (existsSync(join(folder, need))) continue; // provided by an earlier file of this loop
    if (opts.download === false) {
      throw new Error(
        `${id}: ${join(folder, need)} does not exist and downloads are off (put the files of ${file.url} there)`,
      );
    }
    const key = join(folder, file.name);
    let job = inFlight.get(key);
    if (!job) {
      job = fetchAndExtract(id, file, folder, opts).finally(() => inFlight.delete(key));
      inFlight.set(key, job);
    }
    await job;
    if (!existsSync(join(folder, need))) throw new Error(`${id}: ${file.name} did not provide ${need}`);
  }
  return folder;
}

export interface FileState {
  file: SourceFile;
  path: string;
  /** Bytes on disk, or undefined when absent. */
  size?: number;
  /** Whether what it provides is present (extracted or placed by hand). */
  provided: boolean;
}

export function fileStates(source: DatasetSource, opts: LoadOptions): FileState[] {
  const folder = datasetFolder(source, opts);
  return source.files.map((file) => {
    const path = join(folder, file.name);
    return {
      file,
      path,
      size: existsSync(path) ? statSync(path).size : undefined,
      provided: file.provides.every((p) => existsSync(join(folder, p))),
    };
  });
}
