/** @module `rftbench run`: run a suite end to end, resuming, and print the results table. */
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { KEEP_MODELS_USAGE, keepModelsOption, parseKeepModels } from '../keep-models-flag.ts';
import { parseTrainStateFlags, TRAIN_STATE_USAGE, trainStateOptions } from '../train-state-flags.ts';
import { describeShard, resolveShard, shardCells } from '../../run/shard.ts';
import { loadSuite, builtInSuiteIds } from '../../../protocol/suites.ts';
import { expandSuite } from '../../../protocol/cells.ts';
import { resolveMethods, runSuite } from '../../run/runner.ts';
import { formatResultsTable } from '../../run/results-table.ts';
import { sourceId } from '../../pretrain/sources.ts';
import { describeTaskSource } from '../../pretrain/task-source.ts';
import { DEFAULT_DB_PATH, Store } from '../../../../results/store.ts';
import { checkForce, FORCE_USAGE, forceOption, withForceValue } from '../force-flag.ts';
import { ESTIMATE_USAGE, estimateLines, estimateOptions, protocolSettingsLines } from './run-dry-run.ts';

const command: Command = {
  name: 'run',
  summary: 'run a suite (fine-tune every method on every task, evaluate, store), resuming',
  usage: `Usage: rftbench run [--suite ID|FILE.json] [--db PATH] [--data DIR] [--shard I/N] [--retry-failed]
                    [--keep-models all|none] [--checkpoint-minutes N] [--keep-train-state] [--dry-run [--estimate [--throughput N]]]

  --suite ID|FILE  a built-in suite (${builtInSuiteIds().join(', ')}) or a suite JSON file (default: quick)
  --db PATH        results store (default: ${DEFAULT_DB_PATH}); cells already complete there are skipped
  --data DIR       dataset and source-model cache (default: $RFTBENCH_DATA or ~/.cache/rftbench)
  --shard I/N      run only shard I of N (cells I, I+N, … of the suite); also read from Slurm array jobs
                   (SLURM_ARRAY_TASK_ID/_MIN/_COUNT) and Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX with
                   RFTBENCH_SHARD_COUNT); merge shard stores with 'rftbench merge'
  --retry-failed   run again the cells that failed before
  ${FORCE_USAGE}
  ${KEEP_MODELS_USAGE}
  ${TRAIN_STATE_USAGE}
  --dry-run        print the resolved suite as JSON (a starting point for your own suite file) and its
                   cell ids (a paper protocol suite: each setting with its citation), then stop without
                   touching the store
  ${ESTIMATE_USAGE}
                   (with --estimate, stdout has the estimate instead of the suite JSON)

Killing a run loses at most the training since the cell's last checkpoint; the same command resumes it.
SIGTERM/SIGINT finish the current training step, write its checkpoint and exit with code 75.
Example: rftbench run --suite quick`,
  async run(argv) {
    const { values } = parseFlags(withForceValue(argv), {
      suite: { type: 'string', default: 'quick' },
      db: { type: 'string', default: DEFAULT_DB_PATH },
      data: { type: 'string' },
      'retry-failed': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      shard: { type: 'string' },
      ...forceOption,
      ...keepModelsOption,
      ...trainStateOptions,
      ...estimateOptions,
    });
    const keepModels = parseKeepModels(values['keep-models']);
    const training = parseTrainStateFlags(values);
    let shard;
    try {
      shard = resolveShard(values.shard);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const suite = loadSuite(values.suite);
    const resolved = await resolveMethods(suite); // validate everything before the store is opened
    const cells = shardCells(expandSuite(resolved.suite), shard);
    checkForce(values.force, cells);
    const flags = {
      estimate: values.estimate,
      throughput: values.throughput,
      dryRun: values['dry-run'],
      dataDir: values.data,
    };
    const estimate = await estimateLines(resolved.suite, cells, flags);
    if (values['dry-run']) {
      if (!values.estimate) console.log(JSON.stringify(resolved.suite, null, 2));
      console.error(describeShard(shard));
      for (const c of cells)
        console.error(`cell ${c.id}  ${c.spec.task.id} · ${c.spec.method.id} · seed ${c.spec.seed}`);
      for (const line of protocolSettingsLines(resolved.suite)) console.error(line);
      for (const line of estimate) console.log(line);
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
        force: values.force,
        shard,
        keepModels,
        training,
      });
      console.log(formatResultsTable(summaries));
      // The source each task fine-tunes from, with its measured robustness: the reference point of every row.
      for (const task of suite.tasks) {
        const src = store.getSource(sourceId(task.source));
        if (!src) continue;
        const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
        console.log(
          `source of ${task.id}: ${describeTaskSource(task.source)}, clean ${pct(src.cleanAcc)}, PGD ${pct(src.robustAcc)}`,
        );
      }
      console.log(`\nresults in ${store.path}`);
      return summaries.some((s) => s.status === 'failed') ? 1 : 0;
    } finally {
      store.close();
    }
  },
};

export default command;
