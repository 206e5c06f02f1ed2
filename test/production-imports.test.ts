/**
 * Production code never imports from `test/`: every .ts/.tsx/.mjs file under the other top-level folders is
 * scanned for module specifiers (static and type imports, re-exports, side-effect and dynamic imports,
 * require, `new URL(…)` worker paths) that resolve into `test/`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'test') + sep;
// Not production code: the tests themselves, installed packages, and ignored output.
const SKIPPED = new Set(['test', 'node_modules', 'test-artifacts']);
const CODE = /\.(ts|tsx|mts|mjs)$/;
const SPECIFIER = /(?:\bfrom|\bimport|\brequire\s*\(|\bimport\s*\(|\bnew\s+URL\s*\()\s*['"]([^'"]+)['"]/g;

function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name.startsWith('.') || e.name === 'node_modules') return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return codeFiles(path);
    return CODE.test(e.name) ? [path] : [];
  });
}

/** The relative specifiers of `source` that point into `test/`, as `file: specifier` lines. */
function importsOfTest(file: string, source: string): string[] {
  return [...source.matchAll(SPECIFIER)]
    .map((m) => m[1])
    .filter((spec) => spec.startsWith('.') && resolve(dirname(file), spec).startsWith(testDir))
    .map((spec) => `${relative(root, file)}: ${spec}`);
}

describe('production imports', () => {
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !SKIPPED.has(e.name))
    .map((e) => e.name);

  it('scans every top-level code folder', () => {
    const production = ['attacks', 'datasets', 'harness', 'leaderboard', 'methods', 'results'];
    expect(folders).toEqual(expect.arrayContaining(production));
    expect(folders.flatMap((f) => codeFiles(join(root, f))).length).toBeGreaterThan(100);
  });

  it('no file outside test/ imports from test/', () => {
    const files = folders.flatMap((f) => codeFiles(join(root, f)));
    const offenders = files.flatMap((file) => importsOfTest(file, readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the scan catches each import form', () => {
    const file = join(root, 'harness', 'protocol', 'x.ts');
    const forms = [
      "import { a } from '../../test/support/a.ts';",
      "import type { B } from '../../test/support/b.ts';",
      "export * from '../../test/support/c.ts';",
      "import '../../test/support/d.ts';",
      "const e = await import('../../test/support/e.ts');",
      "new Worker(new URL('../../test/support/f.ts', import.meta.url));",
    ];
    for (const line of forms) expect(importsOfTest(file, line), line).toHaveLength(1);
    expect(importsOfTest(file, "import { a } from '../../datasets/formats/writers.ts';")).toEqual([]);
    expect(importsOfTest(file, "import { a } from './test/x.ts';")).toEqual([]); // harness/protocol/test/, not test/
  });
});
