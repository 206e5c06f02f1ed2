/**
 * @module Stores a parsed submission bundle as self-reported cells under one run row. Nothing already
 * measured is touched: a cell id the store holds as measured is a conflict and the whole bundle is
 * refused (one transaction, all or nothing). The entry's files are stored with it; the nightly re-runs the
 * self-reported cells from them, replaces them with measured ones and keeps the claimed numbers beside them.
 * The entry's title, paper and config schema go to the `methods` table unless the registry's entry is there.
 */
import type { Submission } from './submission-bundle.ts';
import type { Store } from './store.ts';
import { putMethodInfos } from './method-info.ts';
import { submissions } from './schema.ts';

export class SubmissionConflict extends Error {
  override name = 'SubmissionConflict';
}

export function ingestSubmission(store: Store, s: Submission, now = Date.now()): { runId: string; cells: number } {
  const runId = `submission-${s.entry.id}-${s.entry.sha256.slice(0, 12)}-${now}`;
  const priors = s.cells.map((c) => ({ id: c.id, prior: store.getCell(c.id) })).filter((p) => p.prior !== undefined);
  const measured = priors.filter((p) => p.prior!.verification === 'measured');
  if (measured.length) {
    throw new SubmissionConflict(
      `cells already measured here: ${measured.map((p) => p.id).join(', ')}; a submission cannot replace a measurement`,
    );
  }
  if (priors.length) {
    // Same cell ids = same entry config on the same protocol: the earlier claim stands until the nightly measures it.
    throw new SubmissionConflict(
      `cells already submitted (self-reported, awaiting the nightly re-run): ${priors.map((p) => p.id).join(', ')}`,
    );
  }
  const env = s.environment;
  store.transaction(() => {
    store.startRun({
      id: runId,
      suite: s.suite.id,
      tier: s.suite.tier.id,
      command: `rftbench submit ${s.entry.file} (sha256 ${s.entry.sha256})`,
      startedAt: Math.min(...s.cells.map((c) => c.startedAt)),
      finishedAt: Math.max(...s.cells.map((c) => c.finishedAt)),
      status: 'completed',
      commit: String(env.commit ?? 'unknown'),
      backend: String(env.backend ?? 'unknown'),
      environment: {
        ...env,
        submission: { entry: { ...s.entry, sources: undefined }, checks: s.checks, createdAt: s.createdAt },
      },
    });
    // The entry's code, so a nightly can re-measure these cells from it (harness/orchestration/run/verify-submissions.ts).
    store.db
      .insert(submissions)
      .values({
        runId,
        entryId: s.entry.id,
        entrySha256: s.entry.sha256,
        sources: s.entry.sources,
        suite: s.suite as unknown as Record<string, unknown>,
        createdAt: now,
      })
      .run();
    // What the site shows of the entry; a registry entry's own row is kept (method-info.ts).
    const e = s.entry;
    putMethodInfos(store, [
      {
        id: e.id,
        title: e.title,
        description: e.description,
        paper: e.paper ?? null,
        configSchema: e.configSchema ?? null,
        defaults: e.defaults ?? null,
        origin: 'submission',
        updatedAt: now,
      },
    ]);
    for (const c of s.cells) {
      store.recordCell(
        {
          id: c.id,
          suite: s.suite.id,
          tier: s.suite.tier.id,
          taskId: c.taskId,
          methodId: c.methodId,
          seed: c.seed,
          status: c.status,
          error: c.error ?? null,
          runId,
          spec: c.spec,
          provenance: { ...c.provenance, entrySha256: s.entry.sha256 },
          artifacts: c.artifacts,
          startedAt: c.startedAt,
          finishedAt: c.finishedAt,
          trainSeconds: c.trainSeconds,
          evalSeconds: c.evalSeconds,
          verification: 'self-reported',
        },
        c.metrics,
      );
    }
  });
  return { runId, cells: s.cells.length };
}
