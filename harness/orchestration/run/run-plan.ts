/**
 * @module A run's plan: the suite's methods resolved, this shard's cells, which of them to compute and why
 * (rerun-policy.ts), and the store made ready for it.
 */
import { hostname } from 'node:os';
import type { MethodEntry } from '../../../methods/define.ts';
import { nightOf } from '../../../results/history.ts';
import { expandSuite, type Cell } from '../../protocol/cells.ts';
import type { Suite } from '../../protocol/schema.ts';
import { initBackend, type BackendInfo } from '../../foundation/tensor/backend.ts';
import { processAlive } from '../../foundation/util/process-alive.ts';
import { codeIdentities, type CodeIdentity } from './code-identity.ts';
import { recordMethodInfos } from './method-info.ts';
import { describeEnvironment, type Environment } from './provenance.ts';
import { parseForce, planCells, type Plan } from './rerun-policy.ts';
import { resolveMethods } from './resolve-methods.ts';
import type { RunOptions } from './run-options.ts';
import { describeShard, shardCells } from './shard.ts';

export interface RunPlan {
  /** The suite with every method's config parsed. */
  suite: Suite;
  entries: Map<string, MethodEntry>;
  backend: BackendInfo;
  environment: Environment;
  /** This shard's cells, in suite order. */
  cells: Cell[];
  /** The cells to compute, in suite order. */
  todo: Cell[];
  /** Why each of `todo` runs, and which of them replace a completed record. */
  policy: Plan;
  codes: Map<string, CodeIdentity>;
  /** Self-reported cells (submissions): re-run here, the measured record then replaces them. */
  selfReported: Set<string>;
  /** The night the measurements belong to. */
  night: string;
}

export async function planRun(opts: RunOptions): Promise<RunPlan> {
  const { suite, entries } = await resolveMethods(opts.suite, opts.extraEntries);
  const backend = await initBackend();
  const environment = describeEnvironment(backend);
  const cells = shardCells(expandSuite(suite), opts.shard);
  const selfReported = opts.store.selfReportedCells(cells.map((c) => c.id));
  // A stored number is reused only when the same code made it; the rest are measured again (rerun-policy.ts).
  const codes = codeIdentities(
    suite.methods.map((m) => m.id),
    opts.entryFiles,
  );
  const policy = planCells(opts.store, cells, codes, {
    retryFailed: opts.retryFailed,
    force: parseForce(opts.force, cells),
    night: opts.night,
  });
  const todo = cells.filter((c) => policy.todo.has(c.id));
  const night = opts.night ?? nightOf(Date.now());
  return { suite, entries, backend, environment, cells, todo, policy, codes, selfReported, night };
}

/** Readies the store for the plan (stale runs marked, methods described) and says what the run will do. */
export function announcePlan(opts: RunOptions, plan: RunPlan, log: (message: string) => void): void {
  const { suite, cells, todo, backend } = plan;
  // Runs of this host whose process is gone were killed (SIGKILL leaves no chance to say so): mark them.
  const stale = opts.store.markInterruptedRuns(hostname(), (pid) => processAlive(pid));
  if (stale) log(`marked ${stale} earlier run(s) of this host as interrupted (their process is gone)`);
  // The site shows each method from the store alone (title, paper, config schema): describe this suite's.
  recordMethodInfos(opts.store, plan.entries.values(), new Set(opts.extraEntries?.keys()));
  const what = `suite ${suite.id} (${suite.tier.id} tier, ${describeShard(opts.shard)}): ${cells.length} cells`;
  const stored = `${cells.length - todo.length} already in ${opts.store.path}`;
  log(`${what}, ${stored}, ${todo.length} to run on ${backend.name} (${backend.threads} threads)`);
  for (const c of todo)
    if (plan.policy.replace.has(c.id))
      log(`cell ${c.id} (${c.spec.method.id} · seed ${c.spec.seed}) again: ${plan.policy.todo.get(c.id)}`);
}
