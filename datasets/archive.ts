/**
 * @module Archive extraction (tar, tar.gz via `tar`; zip via `yauzl`) into a temporary folder beside
 * the destination; only the expected paths are then renamed into place. An archive that fails
 * half-way, or lacks an expected path, leaves nothing behind but an error naming it.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import yauzl from 'yauzl';

export type ArchiveKind = 'tar' | 'zip';

async function extractZip(file: string, cwd: string): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, z) =>
      err || !z ? reject(err ?? new Error('no zip')) : resolve(z),
    ),
  );
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      zip.close();
      reject(err);
    };
    zip.on('error', fail);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = normalize(entry.fileName);
      if (isAbsolute(name) || name.startsWith('..')) return fail(new Error(`unsafe path '${entry.fileName}'`));
      const target = join(cwd, name);
      if (entry.fileName.endsWith('/')) {
        mkdirSync(target, { recursive: true });
        zip.readEntry();
        return;
      }
      mkdirSync(dirname(target), { recursive: true });
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return fail(err ?? new Error(`cannot read ${entry.fileName}`));
        pipeline(stream, createWriteStream(target)).then(() => zip.readEntry(), fail);
      });
    });
    zip.readEntry();
  });
}

/**
 * Extracts `archive` and moves each of `yields` (paths relative to the archive root) to the same path
 * under `dest`. Paths already present under `dest` are left as they are.
 */
export async function extractArchive(
  archive: string,
  kind: ArchiveKind,
  dest: string,
  yields: string[],
): Promise<void> {
  const tmp = join(dest, `.extract-${process.pid}-${Date.now()}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    try {
      if (kind === 'tar') await tar.x({ file: archive, cwd: tmp, strict: true });
      else await extractZip(archive, tmp);
    } catch (err) {
      throw new Error(`${archive}: cannot extract (${(err as Error).message})`);
    }
    for (const path of yields) {
      const from = join(tmp, path);
      const to = join(dest, path);
      if (existsSync(to)) continue;
      if (!existsSync(from)) throw new Error(`${archive}: the archive has no '${path}'`);
      mkdirSync(dirname(to), { recursive: true });
      renameSync(from, to);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
