/**
 * @module The submission bundle: a method entry's identity (id, sha256 of its source) and code (its own files), the suite it ran,
 * the checks it passed, and every cell record with metrics and provenance. A server re-derives each cell
 * id from its spec, so ids cannot be forged, and stores the cells as self-reported until its own
 * nightly re-runs them. Beside the store code: the site parses bundles without loading any harness code that loads
 * tfjs (only the protocol's plain schemas and cell hashing).
 */
import { z } from 'zod';
import { hashOf } from '../harness/protocol/cells.ts';
import { SuiteSchema } from '../harness/protocol/schema.ts';
import { checkEntrySources, EntrySourcesSchema } from './submission-sources.ts';

const MetricSchema = z.strictObject({
  name: z.string().min(1),
  value: z.number().min(0).max(1),
  n: z.number().int().positive(),
  ciLow: z.number().min(0).max(1),
  ciHigh: z.number().min(0).max(1),
  details: z.record(z.string(), z.unknown()),
});

const CellSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  taskId: z.string().min(1),
  methodId: z.string().min(1),
  seed: z.number().int().min(0),
  status: z.enum(['completed', 'failed']),
  error: z.string().nullable().optional(),
  spec: z.record(z.string(), z.unknown()),
  provenance: z.record(z.string(), z.unknown()),
  artifacts: z.record(z.string(), z.unknown()),
  startedAt: z.number().int(),
  finishedAt: z.number().int(),
  trainSeconds: z.number().min(0),
  evalSeconds: z.number().min(0),
  metrics: z.array(MetricSchema),
});

export const SubmissionSchema = z.strictObject({
  format: z.literal('rftbench-submission/1'),
  createdAt: z.string().min(1),
  entry: z.strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/),
    title: z.string().min(1),
    description: z.string(),
    paper: z.object({ title: z.string(), url: z.string(), venue: z.string().optional() }).optional(),
    /** The config's JSON Schema and defaults (harness/orchestration/run/method-info.ts), for the site's method page. */
    configSchema: z.record(z.string(), z.unknown()).nullable().optional(),
    defaults: z.record(z.string(), z.unknown()).nullable().optional(),
    file: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** The entry's own files (harness/orchestration/submit/entry-sources.ts), so the server can re-run it. */
    sources: EntrySourcesSchema,
  }),
  suite: SuiteSchema,
  checks: z.strictObject({
    deterministic: z.boolean(),
    leakedTensors: z.number().int(),
    budgetSecondsPerCell: z.number().positive(),
    slowestCellSeconds: z.number().min(0),
  }),
  environment: z.record(z.string(), z.unknown()),
  cells: z.array(CellSchema).min(1),
});

export type Submission = z.infer<typeof SubmissionSchema>;
export type SubmittedCell = z.infer<typeof CellSchema>;

/** Parses a bundle; each bad field is named by its path. Cell ids must match their specs. */
export function parseSubmission(input: unknown, origin = 'submission'): Submission {
  const r = SubmissionSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new Error(`${origin}: invalid submission bundle\n${lines.join('\n')}`);
  }
  const s = r.data;
  checkEntrySources(s.entry.sources, origin);
  const entryFile = s.entry.sources.files.find((f) => f.path === s.entry.sources.entry);
  if (entryFile && entryFile.sha256 !== s.entry.sha256)
    throw new Error(`${origin}: entry.sha256 is not the sha256 of entry.sources' entry file (${entryFile.sha256})`);
  for (const [i, c] of s.cells.entries()) {
    if (hashOf(c.spec) !== c.id)
      throw new Error(`${origin}: cells.${i}.id ${c.id} does not match the hash of its spec (${hashOf(c.spec)})`);
    if (c.methodId !== s.entry.id)
      throw new Error(`${origin}: cells.${i}.methodId '${c.methodId}' is not the submitted entry '${s.entry.id}'`);
  }
  return s;
}
