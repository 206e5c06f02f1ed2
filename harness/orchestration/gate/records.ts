/**
 * @module Result records as a file: the cells of one suite with their metrics and provenance, in the
 * suite's expansion order. The same format is a gate's committed baseline and a night's export, so
 * any two of them compare cell for cell by id (an id hashes everything that defines the cell).
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Store } from '../../../results/store.ts';
import { expandSuite, PROTOCOL_VERSION } from '../../protocol/cells.ts';
import { writeJsonAtomic } from '../../foundation/util/atomic-write.ts';
import type { Suite } from '../../protocol/schema.ts';

const MetricRecordSchema = z.strictObject({
  name: z.string().min(1),
  value: z.number().min(0).max(1),
  n: z.number().int().positive(),
  ciLow: z.number(),
  ciHigh: z.number(),
});

const CellRecordSchema = z.strictObject({
  cellId: z.string().min(1),
  taskId: z.string().min(1),
  methodId: z.string().min(1),
  seed: z.number().int().min(0),
  status: z.enum(['completed', 'failed', 'missing']),
  error: z.string().optional(),
  metrics: z.array(MetricRecordSchema),
  commit: z.string().optional(),
  backend: z.string().optional(),
  verification: z.enum(['measured', 'self-reported']).optional(),
});

export const RecordsFileSchema = z.strictObject({
  format: z.literal('rftbench-records/1'),
  suite: z.string().min(1),
  tier: z.string().min(1),
  protocol: z.number().int().positive(),
  createdAt: z.string().min(1),
  records: z.array(CellRecordSchema),
});

export type MetricRecord = z.infer<typeof MetricRecordSchema>;
export type CellRecord = z.infer<typeof CellRecordSchema>;
export type RecordsFile = z.infer<typeof RecordsFileSchema>;

/** The records of a suite's cells as the store holds them; cells never run are `missing`. */
export function suiteRecords(store: Store, suite: Suite, now = new Date()): RecordsFile {
  const records: CellRecord[] = expandSuite(suite).map((cell) => {
    const base = { cellId: cell.id, taskId: cell.spec.task.id, methodId: cell.spec.method.id, seed: cell.spec.seed };
    const stored = store.getCell(cell.id);
    if (!stored) return { ...base, status: 'missing' as const, metrics: [] };
    return {
      ...base,
      status: stored.status,
      ...(stored.error ? { error: stored.error } : {}),
      metrics: stored.metrics.map((m) => ({ name: m.name, value: m.value, n: m.n, ciLow: m.ciLow, ciHigh: m.ciHigh })),
      commit: String(stored.provenance.commit ?? ''),
      backend: String(stored.provenance.backend ?? ''),
      verification: stored.verification,
    };
  });
  return {
    format: 'rftbench-records/1',
    suite: suite.id,
    tier: suite.tier.id,
    protocol: PROTOCOL_VERSION,
    createdAt: now.toISOString(),
    records,
  };
}

/** Reads and validates a records file; errors name the file and each bad field. */
export function readRecordsFile(path: string): RecordsFile {
  if (!existsSync(path)) throw new Error(`${path}: no such records file`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const r = RecordsFileSchema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new Error(`${path}: invalid records file\n${lines.join('\n')}`);
}

/** Writes a records file atomically (temp file, then rename): a kill never leaves half a baseline. */
export function writeRecordsFile(path: string, file: RecordsFile): void {
  writeJsonAtomic(path, file);
}
