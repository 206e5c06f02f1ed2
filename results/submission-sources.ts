/**
 * @module The code a submission bundle carries: its schema and the checks a server runs on it (each file's sha256
 * and size, the limits, where files may go). Beside the store, so the site validates a bundle without loading
 * harness code; collecting and restoring the files is the harness's (`harness/orchestration/submit/entry-sources.ts`).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { z } from 'zod';

/** Folders of the checkout a server brings itself; an entry's files may not replace them. */
export const HARNESS_DIRS = [
  'harness',
  'methods',
  'datasets',
  'attacks',
  'results',
  'leaderboard',
  'node_modules',
] as const;

export const SOURCE_LIMITS = { files: 64, fileBytes: 256 * 1024, totalBytes: 1024 * 1024 } as const;

const RelPath = z
  .string()
  .refine(
    (p) =>
      p === '' || (p === posix.normalize(p) && !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\')),
    'must be a plain relative path (no .., no leading /)',
  );

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

export const sha256Hex = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** Whether a checkout-relative posix path lies in one of the folders the server brings itself. */
export const inHarness = (rel: string) => HARNESS_DIRS.some((d) => rel === d || rel.startsWith(`${d}/`));

/** Checks what a parsed bundle's sources claim: each hash and size, the limits, where files may go. */
export function checkEntrySources(s: EntrySources, origin: string): void {
  const problems: string[] = [];
  let total = 0;
  const paths = new Set<string>();
  for (const [i, f] of s.files.entries()) {
    const at = `entry.sources.files.${i}`;
    if (sha256Hex(f.text) !== f.sha256) problems.push(`${at}.sha256 does not match its text (${sha256Hex(f.text)})`);
    if (Buffer.byteLength(f.text) !== f.bytes)
      problems.push(`${at}.bytes is ${f.bytes}, its text has ${Buffer.byteLength(f.text)}`);
    const inRepo =
      s.repo === '' ? f.path : f.path.startsWith(`${s.repo}/`) ? f.path.slice(s.repo.length + 1) : undefined;
    if (inRepo !== undefined && (inHarness(inRepo) || inRepo === 'package.json'))
      problems.push(`${at}.path ${f.path} would replace the harness's own ${inRepo}`);
    if (f.path === 'package.json' || f.path === 'node_modules' || f.path.startsWith('node_modules/'))
      problems.push(`${at}.path ${f.path} is reserved`);
    if (paths.has(f.path)) problems.push(`${at}.path ${f.path} appears twice`);
    paths.add(f.path);
    total += f.bytes;
  }
  if (total > SOURCE_LIMITS.totalBytes)
    problems.push(`entry.sources: ${total} bytes in all, more than ${SOURCE_LIMITS.totalBytes}`);
  if (!paths.has(s.entry)) problems.push(`entry.sources.entry ${s.entry} is not one of the files`);
  if (problems.length) throw new Error(`${origin}: invalid entry sources\n${problems.map((p) => `  ${p}`).join('\n')}`);
}
