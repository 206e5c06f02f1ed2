/**
 * @module What a submitted entry must pass before its results count: it runs the smoke suite twice into
 * fresh stores (same seed, same backend) and must give the same metrics and bit-identical fine-tuned weights
 * (determinism: metrics alone can agree by chance, e.g. a head pushed to predict one class both times), leave no
 * tensors behind between the two runs (leaks), and finish each cell within the tier's time budget.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MethodEntry } from '../../../methods/define.ts';
import { Store } from '../../../results/store.ts';
import { provenanceOf } from '../../protocol/stored.ts';
import { loadSuite } from '../../protocol/suites.ts';
import type { Suite } from '../../protocol/schema.ts';
import { runSuite, type CellSummary } from '../run/runner.ts';

/** Wall-clock seconds one cell (fine-tuning + evaluation) may take, per tier, on the tier's hardware. */
export const CELL_BUDGET_SECONDS: Readonly<Record<Suite['tier']['id'], number>> = {
  smoke: 120,
  quick: 1200,
  standard: 6 * 3600,
};

export interface EntryCheckResult {
  readonly deterministic: boolean;
  readonly leakedTensors: number;
  readonly slowestCellSeconds: number;
  readonly problems: string[];
}

/** The suite `base` with only the entry (default config) as its method. */
export function suiteFor(base: Suite, entry: MethodEntry): Suite {
  return { ...base, methods: [{ id: entry.id, config: {} }] };
}

function metricsKey(summaries: CellSummary[]): string {
  return JSON.stringify(
    summaries.map((s) => [s.cell.id, s.status, s.error ?? null, s.metrics.map((m) => [m.name, m.value, m.n])]),
  );
}

export async function checkEntry(
  entry: MethodEntry,
  opts: { dataDir?: string; log?: (m: string) => void },
): Promise<EntryCheckResult> {
  const suite = suiteFor(loadSuite('smoke'), entry);
  const extraEntries = new Map([[entry.id, entry]]);
  const scratch = mkdtempSync(join(tmpdir(), 'rftbench-submit-check-'));
  const problems: string[] = [];
  const runs: CellSummary[][] = [];
  const weights: string[] = [];
  const tensorsAfter: number[] = [];
  try {
    for (const k of [1, 2]) {
      const store = Store.open(join(scratch, `check-${k}.db`));
      try {
        // Check runs go to scratch stores: their models are not kept.
        runs.push(
          await runSuite({
            suite,
            store,
            command: 'rftbench submit (check)',
            dataDir: opts.dataDir,
            log: opts.log,
            extraEntries,
            keepModels: 'none',
          }),
        );
        const digests = runs.at(-1)!.map((s) => provenanceOf(store.getCell(s.cell.id)?.provenance).weightsSha256);
        weights.push(JSON.stringify(digests));
      } finally {
        store.close();
      }
      tensorsAfter.push(tf.memory().numTensors);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const failed = runs[0].filter((s) => s.status === 'failed');
  for (const f of failed) problems.push(`smoke cell ${f.cell.spec.task.id} failed: ${f.error}`);
  const deterministic = metricsKey(runs[0]) === metricsKey(runs[1]) && weights[0] === weights[1];
  if (!deterministic)
    problems.push(
      'not deterministic: two smoke runs with the same seed gave different metrics or weights (draw every random ' +
        'choice from ctx.rng)',
    );
  const leakedTensors = tensorsAfter[1] - tensorsAfter[0];
  if (leakedTensors > 0)
    problems.push(
      `leaks tensors: ${leakedTensors} more live tensors after the second smoke run than after the first (use tf.tidy, dispose what you create)`,
    );
  const slowestCellSeconds = Math.max(...runs.flat().map((s) => s.seconds));
  if (slowestCellSeconds > CELL_BUDGET_SECONDS.smoke)
    problems.push(
      `too slow: a smoke cell took ${slowestCellSeconds.toFixed(0)} s (budget ${CELL_BUDGET_SECONDS.smoke} s)`,
    );
  return { deterministic, leakedTensors, slowestCellSeconds, problems };
}
