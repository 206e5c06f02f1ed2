/**
 * @module The throughput `rftbench bench` measured on this machine, kept in `<data>/bench/throughput.json` so
 * `rftbench run --dry-run --estimate` can turn pass counts into hours without a `--throughput` flag.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { dataRoot } from '../../../datasets/cache-dir.ts';
import { writeJsonAtomic } from '../../foundation/util/atomic-write.ts';
import { MODEL_CASES, type ThroughputRow } from './model-steps.ts';

/** The bench row estimates are based on: a ResNet-18 training step at 32x32. */
export const REFERENCE_CASE = MODEL_CASES[1];
export const REFERENCE_TASK = 'train step';

const SavedSchema = z.object({
  savedAt: z.string(),
  backend: z.string(),
  threads: z.number(),
  rows: z.array(
    z.object({
      backend: z.string(),
      model: z.string(),
      batch: z.number(),
      task: z.string(),
      imagesPerSecond: z.number(),
    }),
  ),
});
export type SavedThroughput = z.infer<typeof SavedSchema>;

export const savedThroughputPath = (dataDir?: string) => join(dataRoot({ dataDir }), 'bench', 'throughput.json');

export function saveThroughput(
  rows: readonly ThroughputRow[],
  env: { backend: string; threads: number },
  dataDir?: string,
): string {
  const path = savedThroughputPath(dataDir);
  const value: SavedThroughput = {
    savedAt: new Date().toISOString(),
    ...env,
    rows: rows.map(({ backend, model, batch, task, imagesPerSecond }) => ({
      backend,
      model,
      batch,
      task,
      imagesPerSecond,
    })),
  };
  writeJsonAtomic(path, value);
  return path;
}

/** The saved reference figure (ResNet-18 training step) for `backend`, or undefined when none was saved. */
export function savedReferenceThroughput(
  backend: string,
  dataDir?: string,
): { imagesPerSecond: number; savedAt: string; threads: number; path: string } | undefined {
  const path = savedThroughputPath(dataDir);
  if (!existsSync(path)) return undefined;
  let saved: SavedThroughput;
  try {
    saved = SavedSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new Error(
      `${path}: not a saved bench result (${(err as Error).message.split('\n')[0]}); run rftbench bench again or delete it`,
    );
  }
  const row = saved.rows.find(
    (r) => r.backend === backend && r.model === REFERENCE_CASE.name && r.task === REFERENCE_TASK,
  );
  return row
    ? { imagesPerSecond: row.imagesPerSecond, savedAt: saved.savedAt, threads: saved.threads, path }
    : undefined;
}
