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
import type { Store } from '../../results/store.ts';
import { expandSuite, type Cell } from '../protocol/cells.ts';
import type { Suite } from '../protocol/schema.ts';
import { initBackend } from '../tensor/backend.ts';
import type { MetricValue } from '../evaluate/evaluate.ts';
import { describeEnvironment } from './provenance.ts';
import { runCell } from './run-cell.ts';
import { describeShard, shardCells, type Shard } from './shard.ts';

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
export async function resolveMethods(suite: Suite, extra?: ReadonlyMap<string, MethodEntry>): Promise<{ suite: Suite; entries: Map<string, MethodEntry> }> {
  const entries = new Map<string, MethodEntry>();
  const resolved = [];
  for (const [i, run] of suite.methods.entries()) {
    const entry = extra?.get(run.id) ?? (await methods.get(run.id));
    const parsed = (entry.config as z.ZodType).safeParse(run.config);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((issue) => `  methods[${i}].config.${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new Error(`suite '${suite.id}': bad config for method '${run.id}'\n${lines.join('\n')}`);
    }
    entries.set(run.id, entry);
    resolved.push({ id: run.id, config: parsed.data as Record<string, unknown> });
  }
  return { suite: { ...suite, methods: resolved }, entries };
}

export async function runSuite(opts: RunOptions): Promise<CellSummary[]> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const { suite, entries } = await resolveMethods(opts.suite, opts.extraEntries);
  const backend = await initBackend();
  const environment = describeEnvironment(backend);
  const cells = shardCells(expandSuite(suite), opts.shard);
  const statuses = opts.store.cellStatuses(cells.map((c) => c.id));
  // Self-reported cells (submissions) are re-run here; the measured record then replaces them.
  const selfReported = opts.store.selfReportedCells(cells.map((c) => c.id));
  const todo = cells.filter((c) => {
    const s = statuses.get(c.id);
    return s === undefined || (s === 'failed' && opts.retryFailed) || selfReported.has(c.id);
  });
  // Runs of this host whose process is gone were killed (SIGKILL leaves no chance to say so): mark them.
  const stale = opts.store.markInterruptedRuns(hostname(), (pid) => processAlive(pid));
  if (stale) log(`marked ${stale} earlier run(s) of this host as interrupted (their process is gone)`);
  const toRun = new Set(todo.map((c) => c.id));
  log(`suite ${suite.id} (${suite.tier.id} tier, ${describeShard(opts.shard)}): ${cells.length} cells, ${cells.length - todo.length} already in ${opts.store.path}, ${todo.length} to run on ${backend.name} (${backend.threads} threads)`);

  const summaries: CellSummary[] = cells
    .filter((c) => !toRun.has(c.id))
    .map((c) => {
      const stored = opts.store.getCell(c.id);
      return { cell: c, status: 'skipped' as const, error: stored?.error ?? undefined, metrics: stored?.metrics ?? [], seconds: 0 };
    });
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
    environment: { ...environment, shard: opts.shard ?? null, host: hostname(), pid: process.pid } as unknown as Record<string, unknown>,
  });
  const interrupt = () => {
    opts.store.finishRun(runId, 'interrupted');
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    for (const [i, cell] of todo.entries()) {
      const { task, method, seed } = cell.spec;
      const label = `[${i + 1}/${todo.length}] ${task.id} · ${method.id} · seed ${seed}`;
      const cellLog = (m: string) => log(`${label}: ${m}`);
      const startedAt = Date.now();
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
      cellLog('start');
      try {
        const out = await runCell(cell, entries.get(method.id)!, {
          store: opts.store,
          environment,
          dataDir: opts.dataDir,
          log: cellLog,
          onEvalBatch: (done, total) => cellLog(`evaluated ${done}/${total}`),
        });
        const { metrics, provenance, trainSeconds, evalSeconds } = out;
        // A re-run of a submission keeps what was claimed beside what was measured.
        const claimed = selfReported.has(cell.id) ? opts.store.getCell(cell.id) : undefined;
        const artifacts = claimed ? { ...out.artifacts, selfReported: { runId: claimed.runId, metrics: claimed.metrics.map((m) => ({ name: m.name, value: m.value, n: m.n })) } } : out.artifacts;
        opts.store.recordCell({ ...row, status: 'completed', provenance, artifacts, finishedAt: Date.now(), trainSeconds, evalSeconds }, metrics);
        const seconds = (Date.now() - startedAt) / 1000;
        cellLog(`done in ${seconds.toFixed(1)} s: ${metrics.map((m) => `${m.name} ${(m.value * 100).toFixed(1)}%`).join(', ')}`);
        summaries.push({ cell, status: 'completed', metrics, seconds });
      } catch (err) {
        // A failing entry (divergence, a bug) fails its cell only; the suite goes on.
        const error = err instanceof Error ? err.message : String(err);
        cellLog(`FAILED: ${error}`);
        const provenance = environment as unknown as Record<string, unknown>;
        opts.store.recordCell({ ...row, status: 'failed', error, provenance, artifacts: {}, finishedAt: Date.now(), trainSeconds: 0, evalSeconds: 0 }, []);
        summaries.push({ cell, status: 'failed', error, metrics: [], seconds: (Date.now() - startedAt) / 1000 });
      }
    }
    opts.store.finishRun(runId, 'completed');
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  return inSuiteOrder(cells, summaries);
}

/** Whether a process with this pid exists on this host (signal 0 probes without signalling). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inSuiteOrder(cells: Cell[], summaries: CellSummary[]): CellSummary[] {
  const byId = new Map(summaries.map((s) => [s.cell.id, s]));
  return cells.map((c) => byId.get(c.id)).filter((s) => s !== undefined);
}
