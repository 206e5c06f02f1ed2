/**
 * @module Code identity: a content hash of the code that produced a number, recorded beside the cell id (never in
 * it). Two parts: the method (its entry module and every local module it imports, transitively) and the
 * evaluation (the same walk from `harness/orchestration/evaluate/evaluate.ts`, its attack worker and `attacks/`). A local import
 * is a relative (or absolute-path) specifier of a file that exists; packages (`zod`, tfjs) are pinned by the
 * lockfile and recorded in the provenance instead. Type-only imports are erased at run time, so they are skipped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashOf } from '../../protocol/cells.ts';

export const REPO_ROOT = realpathSync(fileURLToPath(new URL('../../../', import.meta.url)));
const REGISTRY = join(REPO_ROOT, 'methods', 'registry.ts');
const PARSED = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

export interface CodeFile {
  /** Repo-relative for files of this checkout, else relative to the entry's folder (`./helper.ts`). */
  readonly path: string;
  readonly absolute: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface CodePart {
  readonly hash: string;
  readonly files: number;
}

/** What a record carries (`provenance.code`); `hash` covers both parts. */
export interface CodeIdentity {
  readonly hash: string;
  /** Null for an entry given without its file (nothing to walk): such a cell is never reused. */
  readonly method: CodePart | null;
  readonly evaluation: CodePart;
}

/** Drops comments so an `import` in a doc example is not followed; strings holding `//` (URLs) lose nothing we need. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}

/** The local specifiers a module imports at run time (static, re-exports, side-effect, literal dynamic). */
export function localSpecifiers(source: string): string[] {
  const code = stripComments(source);
  const out: string[] = [];
  const fromClause = /\b(import|export)\s+(type\s+)?([^'";]*?)\bfrom\s*['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(fromClause)) if (!m[2]) out.push(m[4]);
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) out.push(m[1]);
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out.filter((s) => s.startsWith('.') || s.startsWith('/') || s.startsWith('file:'));
}

function resolveSpecifier(from: string, spec: string): string | undefined {
  const path = spec.startsWith('file:') ? fileURLToPath(spec) : isAbsolute(spec) ? spec : resolve(dirname(from), spec);
  // TypeScript lets `./x.js` name `./x.ts`.
  for (const p of [path, path.replace(/\.js$/, '.ts'), path.replace(/\.mjs$/, '.mts')]) {
    if (existsSync(p) && statSync(p).isFile()) return realpathSync(p);
  }
  return undefined;
}

/** Every file reachable from `roots` through local imports, real paths, sorted. */
export function localImportGraph(roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const stack = roots.map((r) => {
    if (!existsSync(r)) throw new Error(`code identity: ${r}: no such file`);
    return realpathSync(r);
  });
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!PARSED.test(file)) continue;
    for (const spec of localSpecifiers(readFileSync(file, 'utf8'))) {
      const next = resolveSpecifier(file, spec);
      if (next && !seen.has(next)) stack.push(next);
    }
  }
  return [...seen].sort();
}

const insideRepo = (abs: string) => abs === REPO_ROOT || abs.startsWith(REPO_ROOT + sep);

/** How a file is named in a hash: repo-relative inside this checkout, else relative to `base` (`./…`). */
export function displayPath(abs: string, base: string): string {
  const rel = insideRepo(abs) ? relative(REPO_ROOT, abs) : `./${relative(base, abs)}`;
  return rel.split(sep).join('/');
}

export function describeFiles(files: readonly string[], base: string): CodeFile[] {
  return files
    .map((absolute) => {
      const bytes = readFileSync(absolute);
      return {
        path: displayPath(absolute, base),
        absolute,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
      };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** sha256 over (path, content hash) pairs in path order, 16 hex digits like a cell id. */
export function hashCodeFiles(files: readonly Pick<CodeFile, 'path' | 'sha256'>[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)))
    h.update(`${f.path}\0${f.sha256}\n`);
  return h.digest('hex').slice(0, 16);
}

function part(roots: readonly string[], base: string): CodePart {
  const files = describeFiles(localImportGraph(roots), base);
  return { hash: hashCodeFiles(files), files: files.length };
}

/** The entry module of each registered method, read from `methods/registry.ts` (the one place ids meet files). */
export function registeredEntryFiles(): Map<string, string> {
  const source = stripComments(readFileSync(REGISTRY, 'utf8'));
  const out = new Map<string, string>();
  for (const m of source.matchAll(/\.register\(\s*['"]([^'"]+)['"]\s*,[\s\S]*?import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    out.set(m[1], resolve(dirname(REGISTRY), m[2]));
  }
  return out;
}

/** The evaluation's roots: the entry point, its worker (loaded by URL, not imported) and every attack. */
export function evaluationRoots(): string[] {
  const attacks = join(REPO_ROOT, 'attacks');
  return [
    join(REPO_ROOT, 'harness', 'orchestration', 'evaluate', 'evaluate.ts'),
    join(REPO_ROOT, 'harness', 'orchestration', 'evaluate', 'workers', 'attack-worker.ts'),
    ...readdirSync(attacks)
      .filter((f) => f.endsWith('.ts'))
      .sort()
      .map((f) => join(attacks, f)),
  ];
}

export function evaluationCode(): CodePart {
  return part(evaluationRoots(), REPO_ROOT);
}

/** The method part for an entry file (a registered entry or a submission's restored one). */
export function methodCode(entryFile: string): CodePart {
  return part([entryFile], dirname(resolve(entryFile)));
}

export function combineCode(method: CodePart | null, evaluation: CodePart): CodeIdentity {
  return { hash: hashOf({ method: method?.hash ?? null, evaluation: evaluation.hash }), method, evaluation };
}

/**
 * The code identity of each method id in a run: registered entries from the registry, others from `entryFiles`
 * (a submission under test). Files are read once per call, at the start of the run, so a file edited while the
 * suite runs does not mix two identities into one run.
 */
export function codeIdentities(
  methodIds: readonly string[],
  entryFiles?: ReadonlyMap<string, string>,
): Map<string, CodeIdentity> {
  const evaluation = evaluationCode();
  const registered = registeredEntryFiles();
  const out = new Map<string, CodeIdentity>();
  for (const id of new Set(methodIds)) {
    const file = entryFiles?.get(id) ?? registered.get(id);
    out.set(id, combineCode(file ? methodCode(file) : null, evaluation));
  }
  return out;
}
