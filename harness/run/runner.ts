/**
 * @module The runner: expands a suite into cells, skips cells already complete in the store, runs the
 * rest one by one, and writes each ended cell (completed or failed, with its reason) in one
 * transaction. A crash or kill loses at most the cell in progress; running again resumes.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { z } from 'zod';
import type { MethodEntry } from '../../methods/define.ts';
import { methods } from '../../methods/registry.ts';
import type { NewModel, Store } from '../../results/store.ts';
import type { Classifier } from '../models/classifier.ts';
import { expandSuite, type Cell } from '../protocol/cells.ts';
import type { Suite } from '../protocol/schema.ts';
import { initBackend } from '../tensor/backend.ts';
import type { MetricValue } from '../evaluate/evaluate.ts';
import { EXIT_INTERRUPTED, installStopSignals, TrainingStopped } from '../train/graceful-stop.ts';
import { discardTrainState, type TrainStateOptions } from '../train/train-state.ts';
import { describeEnvironment } from './provenance.ts';
import { processAlive } from '../util/process-alive.ts';
import { CellClaims } from './cell-claims.ts';
import { saveCellModel, type KeepModels } from './cell-model.ts';
import { runCell, type CellOutcome } from './run-cell.ts';
import { describeShard, shardCells, type Shard } from './shard.ts';
import { SuiteProgress } from './suite-progress.ts';
import { withTrainingProgress } from '../train/progress.ts';
import { processLogger } from '../util/log.ts';
import { nightOf } from '../../results/history.ts';
import { codeIdentities } from './code-identity.ts';
import { parseForce, planCells } from './rerun-policy.ts';
import { recordMethodInfos } from './method-info.ts';

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

export async function runSuite(opts: RunOptions): Promise<CellSummary[]> {
  const log = opts.log ?? processLogger().line;
  const { suite, entries } = await resolveMethods(opts.suite, opts.extraEntries);
  const backend = await initBackend();
  const environment = describeEnvironment(backend);
  const cells = shardCells(expandSuite(suite), opts.shard);
  // Self-reported cells (submissions) are re-run here; the measured record then replaces them.
  const selfReported = opts.store.selfReportedCells(cells.map((c) => c.id));
  // A stored number is reused only when the same code made it; the rest are measured again (rerun-policy.ts).
  const codes = codeIdentities(
    suite.methods.map((m) => m.id),
    opts.entryFiles,
  );
  const plan = planCells(opts.store, cells, codes, {
    retryFailed: opts.retryFailed,
    force: parseForce(opts.force, cells),
    night: opts.night,
  });
  const todo = cells.filter((c) => plan.todo.has(c.id));
  const night = opts.night ?? nightOf(Date.now());
  // Runs of this host whose process is gone were killed (SIGKILL leaves no chance to say so): mark them.
  const stale = opts.store.markInterruptedRuns(hostname(), (pid) => processAlive(pid));
  if (stale) log(`marked ${stale} earlier run(s) of this host as interrupted (their process is gone)`);
  // The site shows each method from the store alone (title, paper, config schema): describe this suite's.
  recordMethodInfos(opts.store, entries.values(), new Set(opts.extraEntries?.keys()));
  const toRun = new Set(todo.map((c) => c.id));
  log(
    `suite ${suite.id} (${suite.tier.id} tier, ${describeShard(opts.shard)}): ${cells.length} cells, ${cells.length - todo.length} already in ${opts.store.path}, ${todo.length} to run on ${backend.name} (${backend.threads} threads)`,
  );

  const summaries: CellSummary[] = cells
    .filter((c) => !toRun.has(c.id))
    .map((c) => {
      const stored = opts.store.getCell(c.id);
      return {
        cell: c,
        status: 'skipped' as const,
        error: stored?.error ?? undefined,
        metrics: stored?.metrics ?? [],
        seconds: 0,
      };
    });
  for (const c of todo)
    if (plan.replace.has(c.id))
      log(`cell ${c.id} (${c.spec.method.id} · seed ${c.spec.seed}) again: ${plan.todo.get(c.id)}`);
  if (!todo.length) return inSuiteOrder(cells, summaries);

  const runId = randomUUID();
  opts.store.startRun({
    id: runId,
    suite: suite.id,
    tier: suite.tier.id,
    command: opts.command,
    startedAt: Date.now(),
    status: 'running',
    commit: environment.commit,
    backend: environment.backend,
    environment: { ...environment, shard: opts.shard ?? null, host: hostname(), pid: process.pid } as unknown as Record<
      string,
      unknown
    >,
  });
  // SIGTERM/SIGINT: a training step finishes and checkpoints first (graceful-stop.ts); else stop now.
  const uninstallStop = installStopSignals(() => {
    opts.store.finishRun(runId, 'interrupted');
    process.exit(EXIT_INTERRUPTED);
  }, log);
  // Another `rftbench run` on this store may share the work: each cell is computed only by the run that claims it.
  const claims = new CellClaims({ store: opts.store, runId, cellIds: todo.map((c) => c.id), log });
  const elsewhere = new Map<string, { cell: Cell; why: string }>();
  // Cell-start/end events and the progress lines with ETAs (suite-progress.ts).
  const progress = new SuiteProgress(log, todo.length);
  try {
    for (const [i, cell] of todo.entries()) {
      const { task, method, seed } = cell.spec;
      const label = `[${i + 1}/${todo.length}] ${task.id} · ${method.id} · seed ${seed}`;
      const cellLog = (m: string) => log(`${label}: ${m}`);
      const claim = claims.take(cell.id);
      if (!claim.ok) {
        cellLog(`skipped: ${claim.why}`);
        progress.skip();
        elsewhere.set(cell.id, { cell, why: claim.why });
        continue;
      }
      const startedAt = Date.now();
      const record = { night, replace: plan.replace.has(cell.id) };
      // What every ended cell records, completed or failed.
      const row = {
        id: cell.id,
        suite: suite.id,
        tier: suite.tier.id,
        taskId: task.id,
        methodId: method.id,
        seed,
        runId,
        spec: cell.spec as unknown as Record<string, unknown>,
        startedAt,
      };
      progress.cellStart(i, label, { cell: cell.id, task: task.id, method: method.id, seed });
      try {
        // The evaluated model is saved before runCell disposes it; its row goes in with the cell.
        let kept: NewModel | undefined;
        const keepModel = (model: Classifier, o: CellOutcome) => {
          kept = saveCellModel(model, {
            cellId: cell.id,
            cellSpec: cell.spec,
            provenance: o.provenance,
            dataDir: opts.dataDir,
          });
          cellLog(
            `model kept: ${kept.path}${kept.unloadable ? ` (cannot be rebuilt from its spec: ${kept.unloadable})` : ''}`,
          );
        };
        const out = await withTrainingProgress(progress.training, () =>
          runCell(cell, entries.get(method.id)!, {
            store: opts.store,
            environment,
            dataDir: opts.dataDir,
            log: cellLog,
            onEvalBatch: progress.evalBatch,
            keepModel: (opts.keepModels ?? 'all') === 'all' ? keepModel : undefined,
            training: opts.training,
          }),
        );
        const { metrics, trainSeconds, evalSeconds } = out;
        const provenance = { ...out.provenance, code: codes.get(method.id) };
        // A re-run of a submission keeps what was claimed beside what was measured.
        const claimed = selfReported.has(cell.id) ? opts.store.getCell(cell.id) : undefined;
        const artifacts = claimed
          ? {
              ...out.artifacts,
              selfReported: {
                runId: claimed.runId,
                metrics: claimed.metrics.map((m) => ({ name: m.name, value: m.value, n: m.n })),
              },
            }
          : out.artifacts;
        claims.record(cell.id, () =>
          opts.store.recordCell(
            { ...row, status: 'completed', provenance, artifacts, finishedAt: Date.now(), trainSeconds, evalSeconds },
            metrics,
            kept,
            record,
          ),
        );
        discardTrainState(cell.id, { dataDir: opts.dataDir, ...opts.training });
        const seconds = (Date.now() - startedAt) / 1000;
        const done = `done in ${seconds.toFixed(1)} s: ${metrics.map((m) => `${m.name} ${(m.value * 100).toFixed(1)}%`).join(', ')}`;
        progress.cellEnd({
          status: 'completed',
          msg: done,
          seconds,
          trainSeconds,
          evalSeconds,
          fields: { metrics: Object.fromEntries(metrics.map((m) => [m.name, m.value])) },
        });
        summaries.push({ cell, status: 'completed', metrics, seconds });
      } catch (err) {
        if (err instanceof TrainingStopped) throw err; // not a failure: the cell resumes next time
        // A failing entry (divergence, a bug) fails its cell only; the suite goes on.
        const error = err instanceof Error ? err.message : String(err);
        progress.cellEnd({
          status: 'failed',
          msg: `FAILED: ${error}`,
          seconds: (Date.now() - startedAt) / 1000,
          fields: { error },
        });
        const provenance = { ...environment, code: codes.get(method.id) } as unknown as Record<string, unknown>;
        claims.record(cell.id, () =>
          opts.store.recordCell(
            {
              ...row,
              status: 'failed',
              error,
              provenance,
              artifacts: {},
              finishedAt: Date.now(),
              trainSeconds: 0,
              evalSeconds: 0,
            },
            [],
            undefined,
            record,
          ),
        );
        discardTrainState(cell.id, { dataDir: opts.dataDir, ...opts.training });
        summaries.push({ cell, status: 'failed', error, metrics: [], seconds: (Date.now() - startedAt) / 1000 });
      }
    }
    opts.store.finishRun(runId, 'completed');
  } catch (err) {
    if (err instanceof TrainingStopped) opts.store.finishRun(runId, 'interrupted');
    throw err;
  } finally {
    claims.close();
    uninstallStop();
  }
  // Cells another run took: their records if that run has finished them by now.
  for (const { cell, why } of elsewhere.values()) {
    const stored = opts.store.getCell(cell.id);
    summaries.push({
      cell,
      status: 'skipped',
      error: stored ? (stored.error ?? undefined) : why,
      metrics: stored?.metrics ?? [],
      seconds: 0,
    });
  }
  return inSuiteOrder(cells, summaries);
}

function inSuiteOrder(cells: Cell[], summaries: CellSummary[]): CellSummary[] {
  const byId = new Map(summaries.map((s) => [s.cell.id, s]));
  return cells.map((c) => byId.get(c.id)).filter((s) => s !== undefined);
}
