/**
 * @module A submitted entry's code, carried in its bundle so a leaderboard can re-run it without the entry being
 * committed anywhere. The files are the entry's local-import walk (`code-identity.ts`) minus the harness itself
 * (the server's own harness runs every entry), each with its sha256, size-limited. Paths are relative to the
 * common folder of the files and the rftbench checkout, whose place among them is `repo`, so the entry's relative
 * imports of the harness (`../../methods/define.ts`) resolve on the server once the files are written out with
 * the server's harness folders linked in at `repo`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { localImportGraph, REPO_ROOT } from '../run/code-identity.ts';

/** Folders of the checkout a server brings itself; an entry's files may not replace them. */
export const HARNESS_DIRS = ['harness', 'methods', 'datasets', 'attacks', 'results', 'leaderboard', 'node_modules'] as const;

export const SOURCE_LIMITS = { files: 64, fileBytes: 256 * 1024, totalBytes: 1024 * 1024 } as const;

const RelPath = z
  .string()
  .refine((p) => p === '' || (p === posix.normalize(p) && !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\')), 'must be a plain relative path (no .., no leading /)');

const SourceFileSchema = z.strictObject({
  path: RelPath.refine((p) => p !== '', 'must not be empty'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().min(0).max(SOURCE_LIMITS.fileBytes),
  text: z.string(),
});

export const EntrySourcesSchema = z.strictObject({
  /** Where the rftbench checkout sat among the files ('' when the files are inside it). */
  repo: RelPath,
  /** The entry module, one of `files`. */
  entry: RelPath,
  files: z.array(SourceFileSchema).min(1).max(SOURCE_LIMITS.files),
});

export type EntrySources = z.infer<typeof EntrySourcesSchema>;

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const posixPath = (p: string) => p.split(sep).join('/');
const inHarness = (rel: string) => HARNESS_DIRS.some((d) => rel === d || rel.startsWith(`${d}/`));

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
    if (bytes > SOURCE_LIMITS.fileBytes) throw new Error(`${f}: ${bytes} bytes; a submitted entry's files may have at most ${SOURCE_LIMITS.fileBytes} each`);
    total += bytes;
    return { path: posixPath(relative(root, f)), sha256: sha256(text), bytes, text };
  });
  if (total > SOURCE_LIMITS.totalBytes) throw new Error(`${entryFile}: its files come to ${total} bytes; at most ${SOURCE_LIMITS.totalBytes} may be submitted`);
  if (files.length > SOURCE_LIMITS.files) throw new Error(`${entryFile}: imports ${files.length} local files; at most ${SOURCE_LIMITS.files} may be submitted`);
  const sources = { repo: posixPath(relative(root, REPO_ROOT)), entry: posixPath(relative(root, entry)), files };
  checkEntrySources(sources, entryFile);
  return sources;
}

/** Checks what a parsed bundle's sources claim: each hash and size, the limits, where files may go. */
export function checkEntrySources(s: EntrySources, origin: string): void {
  const problems: string[] = [];
  let total = 0;
  const paths = new Set<string>();
  for (const [i, f] of s.files.entries()) {
    const at = `entry.sources.files.${i}`;
    if (sha256(f.text) !== f.sha256) problems.push(`${at}.sha256 does not match its text (${sha256(f.text)})`);
    if (Buffer.byteLength(f.text) !== f.bytes) problems.push(`${at}.bytes is ${f.bytes}, its text has ${Buffer.byteLength(f.text)}`);
    const inRepo = s.repo === '' ? f.path : f.path.startsWith(`${s.repo}/`) ? f.path.slice(s.repo.length + 1) : undefined;
    if (inRepo !== undefined && (inHarness(inRepo) || inRepo === 'package.json')) problems.push(`${at}.path ${f.path} would replace the harness's own ${inRepo}`);
    if (f.path === 'package.json' || f.path === 'node_modules' || f.path.startsWith('node_modules/')) problems.push(`${at}.path ${f.path} is reserved`);
    if (paths.has(f.path)) problems.push(`${at}.path ${f.path} appears twice`);
    paths.add(f.path);
    total += f.bytes;
  }
  if (total > SOURCE_LIMITS.totalBytes) problems.push(`entry.sources: ${total} bytes in all, more than ${SOURCE_LIMITS.totalBytes}`);
  if (!paths.has(s.entry)) problems.push(`entry.sources.entry ${s.entry} is not one of the files`);
  if (problems.length) throw new Error(`${origin}: invalid entry sources\n${problems.map((p) => `  ${p}`).join('\n')}`);
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
