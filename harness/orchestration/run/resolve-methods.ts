/** @module A suite's method entries looked up and their configs parsed, before anything runs. */
import type { z } from 'zod';
import type { MethodEntry } from '../../../methods/define.ts';
import { methods } from '../../../methods/registry.ts';
import type { Suite } from '../../protocol/schema.ts';

/**
 * Parses each method's config with its schema, so a cell's id hashes the resolved options. Callers run it
 * before opening a store, so a bad suite never touches one.
 */
export async function resolveMethods(
  suite: Suite,
  extra?: ReadonlyMap<string, MethodEntry>,
): Promise<{ suite: Suite; entries: Map<string, MethodEntry> }> {
  const entries = new Map<string, MethodEntry>();
  const resolved = [];
  for (const [i, run] of suite.methods.entries()) {
    const entry = extra?.get(run.id) ?? (await methods.get(run.id));
    const parsed = (entry.config as z.ZodType).safeParse(run.config);
    if (!parsed.success) {
      const lines = parsed.error.issues.map(
        (issue) => `  methods[${i}].config.${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
      throw new Error(`suite '${suite.id}': bad config for method '${run.id}'\n${lines.join('\n')}`);
    }
    entries.set(run.id, entry);
    resolved.push({ id: run.id, config: parsed.data as Record<string, unknown> });
  }
  return { suite: { ...suite, methods: resolved }, entries };
}
