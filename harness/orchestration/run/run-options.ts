/** @module What `runSuite` takes and what it returns for each cell of the suite. */
import type { MethodEntry } from '../../../methods/define.ts';
import type { Store } from '../../../results/store.ts';
import type { MetricValue } from '../evaluate/evaluate.ts';
import type { Cell } from '../../protocol/cells.ts';
import type { Suite } from '../../protocol/schema.ts';
import type { TrainStateOptions } from '../train/train-state.ts';
import type { KeepModels } from './cell-model.ts';
import type { Shard } from './shard.ts';

export interface RunOptions {
  suite: Suite;
  store: Store;
  /** The command line, for the run's record. */
  command: string;
  dataDir?: string;
  retryFailed?: boolean;
  log?: (message: string) => void;
  /** Entries outside the registry (a submission under test), by id. */
  extraEntries?: ReadonlyMap<string, MethodEntry>;
  /** Run only this shard's cells. */
  shard?: Shard;
  /** Save each completed cell's evaluated model under `<data>/models/` (default 'all'). */
  keepModels?: KeepModels;
  /** Training checkpoints (`--checkpoint-minutes`, `--keep-train-state`). */
  training?: TrainStateOptions;
  /** Entry files of `extraEntries` by id, for their code identity (`code-identity.ts`). */
  entryFiles?: ReadonlyMap<string, string>;
  /** `--force`: 'all', a method id or a cell id of the suite (`rerun-policy.ts`). */
  force?: string;
  /** A nightly's date (YYYY-MM-DD): measure each cell once that night. */
  night?: string;
}

export interface CellSummary {
  cell: Cell;
  status: 'completed' | 'failed' | 'skipped';
  error?: string;
  metrics: MetricValue[];
  seconds: number;
}
