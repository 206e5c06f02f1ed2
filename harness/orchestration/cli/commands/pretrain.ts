/** @module `rftbench pretrain`: adversarially pre-train (or re-use) the source models of a suite's tasks. */
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { overrideRecipe, type RecipeOverride } from '../../pretrain/recipe-override.ts';
import { loadSuite } from '../../../protocol/suites.ts';
import { ensureTaskSource } from '../../pretrain/task-source.ts';
import { isExternalSource } from '../../../protocol/schema.ts';
import { initBackend } from '../../../foundation/tensor/backend.ts';
import { describeEnvironment } from '../../run/provenance.ts';
import { EXIT_INTERRUPTED, installStopSignals } from '../../train/graceful-stop.ts';
import { parseTrainStateFlags, TRAIN_STATE_USAGE, trainStateOptions } from '../train-state-flags.ts';
import { DEFAULT_DB_PATH, Store } from '../../../../results/store.ts';

const RECIPES = ['at', 'fgsm-rs', 'trades', 'at-fdm'] as const;

function numberFlag(value: string | undefined, flag: string, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got '${value}'`);
  return n;
}

function recipeOverride(v: {
  recipe?: string;
  k?: string;
  lambda?: string;
  beta?: string;
  steps?: string;
}): RecipeOverride | undefined {
  if (v.recipe === undefined) {
    const stray = (['k', 'lambda', 'beta', 'steps'] as const).find((f) => v[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --recipe`);
    return undefined;
  }
  if (!(RECIPES as readonly string[]).includes(v.recipe))
    throw new UsageError(`--recipe must be one of ${RECIPES.join(', ')}, got '${v.recipe}'`);
  return {
    recipe: v.recipe as RecipeOverride['recipe'],
    k: numberFlag(v.k, '--k', true),
    lambda: numberFlag(v.lambda, '--lambda'),
    beta: numberFlag(v.beta, '--beta'),
    steps: numberFlag(v.steps, '--steps', true),
  };
}

const command: Command = {
  name: 'pretrain',
  summary: "pre-train and cache the adversarially robust source models a suite's tasks use",
  usage: `Usage: rftbench pretrain [--suite ID|FILE.json] [--recipe R [--k K] [--lambda L] [--beta B] [--steps N]]
                         [--db PATH] [--data DIR] [--force] [--checkpoint-minutes N] [--keep-train-state]

  --suite ID|FILE  whose tasks' source recipes to pre-train (default: quick)
  --recipe R       pre-train the suite's sources with another recipe: at | fgsm-rs | trades | at-fdm
  --k K            at-fdm: blocks the target fine-tunes (FDM reads the input of block L-K+1)
  --lambda L       at-fdm: weight of the feature distance (default 0.005)
  --beta B         trades: weight of the KL term (default 6)
  --steps N        PGD steps of the recipe's attack
  --db PATH        store that records the sources (default: ${DEFAULT_DB_PATH})
  --data DIR       cache root; checkpoints go to DIR/sources/<recipe hash>.safetensors
  --force          re-train even when a cached checkpoint exists
  ${TRAIN_STATE_USAGE}

The cache key is the hash of the full recipe (its parameters included).
'rftbench run' pre-trains missing sources by itself; this command does it ahead of time.
A killed pre-training resumes from its last checkpoint; SIGTERM/SIGINT checkpoint and exit with code 75.
Example: rftbench pretrain --suite quick --recipe at-fdm --k 2 --lambda 0.005`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      suite: { type: 'string', default: 'quick' },
      db: { type: 'string', default: DEFAULT_DB_PATH },
      data: { type: 'string' },
      force: { type: 'boolean', default: false },
      recipe: { type: 'string' },
      k: { type: 'string' },
      lambda: { type: 'string' },
      beta: { type: 'string' },
      steps: { type: 'string' },
      ...trainStateOptions,
    });
    const training = parseTrainStateFlags(values);
    const suite = loadSuite(values.suite);
    const override = recipeOverride(values);
    // Validate every override before any (long) pre-training starts.
    // A published checkpoint has no recipe to override: it is downloaded, verified and converted as it is.
    const sources = suite.tasks.map((t) => ({
      task: t,
      source: override && !isExternalSource(t.source) ? overrideRecipe(t.source, override) : t.source,
    }));
    const environment = describeEnvironment(await initBackend());
    const store = Store.open(values.db);
    const uninstallStop = installStopSignals(() => process.exit(EXIT_INTERRUPTED));
    try {
      const seen = new Set<string>();
      for (const { task, source } of sources) {
        const key = JSON.stringify(source);
        if (seen.has(key)) continue;
        seen.add(key);
        const h = await ensureTaskSource(source, {
          store,
          environment,
          dataDir: values.data,
          force: values.force,
          training,
          log: (m) => console.error(m),
        });
        const metric = (name: string) => h.metadata.metrics.find((m) => m.name === name);
        const fmt = (name: string) => {
          const m = metric(name);
          return m
            ? `${(m.value * 100).toFixed(1)}% [${(m.ciLow * 100).toFixed(1)}, ${(m.ciHigh * 100).toFixed(1)}] on ${m.n}`
            : '-';
        };
        console.log(`${task.id}  source ${h.id}  clean ${fmt('clean')}  PGD ${fmt('pgd')}\n  ${h.path}`);
      }
      return 0;
    } finally {
      uninstallStop();
      store.close();
    }
  },
};

export default command;
