/**
 * @module A submitted entry's code, carried in its bundle so a leaderboard can re-run it without the entry being
 * committed anywhere. The files are the entry's local-import walk (`code-identity.ts`) minus the harness itself
 * (the server's own harness runs every entry), each with its sha256, size-limited. Paths are relative to the
 * common folder of the files and the rftbench checkout, whose place among them is `repo`, so the entry's relative
 * imports of the harness (`../../../methods/define.ts`) resolve on the server once the files are written out with
 * the server's harness folders linked in at `repo`.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  checkEntrySources,
  HARNESS_DIRS,
  inHarness,
  sha256Hex,
  SOURCE_LIMITS,
  type EntrySources,
} from '../../../results/submission-sources.ts';
import { localImportGraph, REPO_ROOT } from '../run/code-identity.ts';

const posixPath = (p: string) => p.split(sep).join('/');

function commonFolder(paths: readonly string[]): string {
  let common = paths[0];
  for (const p of paths.slice(1)) while (relative(common, p).startsWith('..')) common = dirname(common);
  return common;
}

/** The entry's own files (its walk outside the checkout's harness folders), ready for a bundle. */
export function collectEntrySources(entryFile: string): EntrySources {
  if (!existsSync(entryFile)) throw new Error(`${entryFile}: no such entry file`);
  const entry = realpathSync(resolve(entryFile));
  const own = localImportGraph([entry]).filter((f) => {
    const rel = relative(REPO_ROOT, f);
    return rel.startsWith('..') || !inHarness(posixPath(rel));
  });
  const root = commonFolder([REPO_ROOT, ...own.map((f) => dirname(f))]);
  let total = 0;
  const files = own.map((f) => {
    const text = readFileSync(f, 'utf8');
    const bytes = Buffer.byteLength(text);
    if (bytes > SOURCE_LIMITS.fileBytes)
      throw new Error(
        `${f}: ${bytes} bytes; a submitted entry's files may have at most ${SOURCE_LIMITS.fileBytes} each`,
      );
    total += bytes;
    return { path: posixPath(relative(root, f)), sha256: sha256Hex(text), bytes, text };
  });
  if (total > SOURCE_LIMITS.totalBytes)
    throw new Error(
      `${entryFile}: its files come to ${total} bytes; at most ${SOURCE_LIMITS.totalBytes} may be submitted`,
    );
  if (files.length > SOURCE_LIMITS.files)
    throw new Error(
      `${entryFile}: imports ${files.length} local files; at most ${SOURCE_LIMITS.files} may be submitted`,
    );
  const sources = { repo: posixPath(relative(root, REPO_ROOT)), entry: posixPath(relative(root, entry)), files };
  checkEntrySources(sources, entryFile);
  return sources;
}

/**
 * Writes the files under `dir` (emptied first) with the server's harness folders, package.json and node_modules
 * linked in where the checkout sat, so the entry loads against this harness. Returns the entry's path.
 */
export function restoreEntrySources(s: EntrySources, dir: string): string {
  checkEntrySources(s, dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of s.files) {
    const path = join(dir, ...f.path.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.text);
  }
  // ES modules, like the checkout's own: files outside the linked checkout find this package.json first.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const repo = join(dir, ...s.repo.split('/').filter(Boolean));
  mkdirSync(repo, { recursive: true });
  for (const d of HARNESS_DIRS) {
    if (d !== 'node_modules' || s.repo !== '') symlinkSync(join(REPO_ROOT, d), join(repo, d), 'dir');
  }
  if (s.repo !== '') symlinkSync(join(REPO_ROOT, 'package.json'), join(repo, 'package.json'), 'file');
  return join(dir, ...s.entry.split('/'));
}
