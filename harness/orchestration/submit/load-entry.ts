/**
 * @module Loads a method entry from a file (TypeScript or JavaScript, default export made with
 * `defineMethod`) and checks its shape, naming the field that is wrong. The sha256 of the file's bytes
 * goes into the submission, so a result can be traced to the exact code that produced it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { MethodEntry } from '../../../methods/define.ts';
import { methods } from '../../../methods/registry.ts';

const EntryShape = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be kebab-case (a-z, 0-9, -)'),
  title: z.string().min(1),
  description: z.string().min(1),
  paper: z.object({ title: z.string().min(1), url: z.string().url(), venue: z.string().optional() }).optional(),
  config: z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'must be a zod schema (z.strictObject({...}))'),
  fineTune: z.custom<(...a: unknown[]) => unknown>(
    (v) => typeof v === 'function',
    'must be a function (ctx) => Promise<Classifier>',
  ),
});

export interface LoadedEntry {
  readonly entry: MethodEntry;
  readonly path: string;
  readonly sha256: string;
  readonly sourceBytes: number;
}

export async function loadEntryFile(file: string): Promise<LoadedEntry> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`${file}: no such entry file`);
  const bytes = readFileSync(path);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw new Error(`${file}: cannot load the entry (${(err as Error).message.split('\n')[0]})`);
  }
  if (mod.default === undefined) throw new Error(`${file}: no default export (export default defineMethod({...}))`);
  const r = EntryShape.safeParse(mod.default);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${file}: invalid method entry\n${lines.join('\n')}`);
  }
  const entry = mod.default as MethodEntry;
  const defaults = entry.config.safeParse({});
  if (!defaults.success) {
    const lines = defaults.error.issues.map((i) => `  config.${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(
      `${file}: the config schema must give every option a default (an empty config must parse)\n${lines.join('\n')}`,
    );
  }
  if (methods.has(entry.id))
    throw new Error(`${file}: id '${entry.id}' is taken by a built-in method; choose another id`);
  return { entry, path, sha256: createHash('sha256').update(bytes).digest('hex'), sourceBytes: bytes.length };
}
