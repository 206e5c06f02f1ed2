/** @module `rftbench run`: run a suite end to end, resuming, and print the results table. */
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { describeShard, resolveShard, shardCells } from '../../run/shard.ts';
import { loadSuite, builtInSuiteIds } from '../../protocol/suites.ts';
import { expandSuite } from '../../protocol/cells.ts';
import { resolveMethods, runSuite } from '../../run/runner.ts';
import { formatResultsTable } from '../../run/results-table.ts';
import { sourceId } from '../../pretrain/sources.ts';
import { DEFAULT_DB_PATH, Store } from '../../../results/store.ts';

const command: Command = {
  name: 'run',
  summary: 'run a suite (fine-tune every method on every task, evaluate, store), resuming',
  usage: `Usage: rftbench run [--suite ID|FILE.json] [--db PATH] [--data DIR] [--shard I/N] [--retry-failed] [--dry-run]

  --suite ID|FILE  a built-in suite (${builtInSuiteIds().join(', ')}) or a suite JSON file (default: quick)
  --db PATH        results store (default: ${DEFAULT_DB_PATH}); cells already complete there are skipped
  --data DIR       dataset and source-model cache (default: $RFTBENCH_DATA or ~/.cache/rftbench)
  --shard I/N      run only shard I of N (cells I, I+N, … of the suite); also read from Slurm array jobs
                   (SLURM_ARRAY_TASK_ID/_MIN/_COUNT) and Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX with
                   RFTBENCH_SHARD_COUNT); merge shard stores with 'rftbench merge'
  --retry-failed   run again the cells that failed before
  --dry-run        print the resolved suite as JSON (a starting point for your own suite file) and its
                   cell ids, then stop without touching the store

Killing a run loses at most the cell in progress; the same command resumes it.
Example: rftbench run --suite quick`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      suite: { type: 'string', default: 'quick' },
      db: { type: 'string', default: DEFAULT_DB_PATH },
      data: { type: 'string' },
      'retry-failed': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      shard: { type: 'string' },
    });
    let shard;
    try {
      shard = resolveShard(values.shard);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const suite = loadSuite(values.suite);
    const resolved = await resolveMethods(suite); // validate everything before the store is opened
    if (values['dry-run']) {
      console.log(JSON.stringify(resolved.suite, null, 2));
      console.error(describeShard(shard));
      for (const c of shardCells(expandSuite(resolved.suite), shard)) console.error(`cell ${c.id}  ${c.spec.task.id} · ${c.spec.method.id} · seed ${c.spec.seed}`);
      return 0;
    }
    const store = Store.open(values.db);
    try {
      const summaries = await runSuite({
        suite,
        store,
        command: ['rftbench', 'run', ...argv].join(' '),
        dataDir: values.data,
        retryFailed: values['retry-failed'],
        shard,
      });
      console.log(formatResultsTable(summaries));
      // The source each task fine-tunes from, with its measured robustness: the reference point of every row.
      for (const task of suite.tasks) {
        const src = store.getSource(sourceId(task.source));
        if (!src) continue;
        const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
        console.log(`source of ${task.id}: ${task.source.arch} on ${task.source.dataset} (${task.source.recipe}), clean ${pct(src.cleanAcc)}, PGD ${pct(src.robustAcc)}`);
      }
      console.log(`\nresults in ${store.path}`);
      return summaries.some((s) => s.status === 'failed') ? 1 : 0;
    } finally {
      store.close();
    }
  },
};

export default command;
