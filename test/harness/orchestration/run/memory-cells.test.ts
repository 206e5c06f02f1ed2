/**
 * Memory over a run: several smoke cells, one after another in one process through the real runner, store and
 * source cache. After the first (which loads the backend, kernels and data and pre-trains the source) every cell
 * must leave the same number of live tensors, and the resident set (evaluation workers included) must stay within
 * RSS_MARGIN_MIB of the first's.
 * Each record keeps the process's peak RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provenanceOf } from '../../../../harness/protocol/stored.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { runSuite } from '../../../../harness/orchestration/run/runner.ts';
import { shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { mib } from '../../../../harness/foundation/util/peak-rss.ts';
import { Store } from '../../../../results/store.ts';

/**
 * Growth of the resident set allowed over the cells after the first. The runner and the evaluation workers
 * collect garbage between cells (util/collect-garbage.ts): measured here with two workers, 12 cells stayed within
 * 8 MiB of the second (433 to 441, then 407 MiB); without the collections the same run grew about 6 MiB a cell.
 * A leaked tensor shows in the count; this catches memory held outside tensors (dataset copies, wasm heap
 * growth, what workers keep) of ~2 MiB or more per cell.
 */
const RSS_MARGIN_MIB = 16;

const dir = mkdtempSync(join(tmpdir(), 'rftbench-memory-'));
const lines: string[] = [];
const log = (line: string) => lines.push(line);
const savedData = process.env.RFTBENCH_DATA;
const savedWorkers = process.env.RFTBENCH_EVAL_WORKERS;

beforeAll(() => {
  process.env.RFTBENCH_DATA = join(dir, 'data');
  // Two evaluation workers, as a suite runs on two cores: the RSS read here is the process's, workers included.
  process.env.RFTBENCH_EVAL_WORKERS = '2';
});

afterAll(async () => {
  await shutdownBackend();
  if (savedData === undefined) delete process.env.RFTBENCH_DATA;
  else process.env.RFTBENCH_DATA = savedData;
  if (savedWorkers === undefined) delete process.env.RFTBENCH_EVAL_WORKERS;
  else process.env.RFTBENCH_EVAL_WORKERS = savedWorkers;
  rmSync(dir, { recursive: true, force: true });
});

describe('memory across cells', () => {
  it('returns to the same tensor count after each cell and keeps RSS within a margin', async () => {
    const smoke = loadSuite('smoke');
    // Eight cells, each a method entry with its own seed; one cell per run, as a long suite runs them, so the
    // counts are read between cells.
    const cells = Array.from({ length: 8 }, (_, i) => ({ method: i % 2 ? 'at' : 'standard', seed: i }));
    const store = Store.open(join(dir, 'memory.db'));
    const after: { tensors: number; rssMiB: number }[] = [];
    const peaks: number[] = [];
    try {
      for (const c of cells) {
        const suite = { ...smoke, methods: smoke.methods.filter((m) => m.id === c.method), seeds: [c.seed] };
        const [summary] = await runSuite({ suite, store, command: 'test', log, keepModels: 'none' });
        expect(summary.status, summary.error).toBe('completed');
        const stored = store.getCell(summary.cell.id)!;
        const peak = provenanceOf(stored.provenance).peakRssBytes;
        expect(peak).toBeGreaterThan(0);
        // A high-water mark: never below the previous cell's.
        expect(peak).toBeGreaterThanOrEqual(peaks.at(-1) ?? 0);
        peaks.push(peak!);
        after.push({ tensors: tf.memory().numTensors, rssMiB: mib(process.memoryUsage.rss()) });
      }
    } finally {
      store.close();
    }
    expect(lines.some((l) => l.includes('evaluation in 2 worker threads'))).toBe(true);
    const [first, ...rest] = after;
    for (const a of rest) expect(a.tensors).toBe(first.tensors);
    const growth = Math.max(...rest.map((a) => a.rssMiB)) - first.rssMiB;
    expect(growth, `RSS after each cell (MiB): ${after.map((a) => a.rssMiB.toFixed(0)).join(', ')}`).toBeLessThan(
      RSS_MARGIN_MIB,
    );
  }, 60_000);
});
