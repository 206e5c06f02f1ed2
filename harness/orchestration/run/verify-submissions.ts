/**
 * @module The nightly's check of submissions: every submission whose cells are still self-reported is re-run
 * from the code its bundle carried (written to `<data>/submissions/<run id>/`, loaded from there against this
 * harness), so the runner measures them; the measured record replaces the claim and keeps it beside it
 * (`artifacts.selfReported`), which the board shows as verified or as a disagreement.
 */
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { dataRoot } from '../../../datasets/cache-dir.ts';
import * as schema from '../../../results/schema.ts';
import type { Store } from '../../../results/store.ts';
import { SuiteSchema } from '../../protocol/schema.ts';
import { EntrySourcesSchema } from '../../../results/submission-sources.ts';
import { restoreEntrySources } from '../submit/entry-sources.ts';
import { loadEntryFile } from '../submit/load-entry.ts';
import type { KeepModels } from './cell-model.ts';
import { runSuite, type CellSummary } from './runner.ts';

export interface VerifyOptions {
  dataDir?: string;
  log: (line: string) => void;
  keepModels?: KeepModels;
  night?: string;
  command: string;
}

export interface VerifyOutcome {
  readonly runId: string;
  readonly entryId: string;
  readonly summaries: CellSummary[];
  /** Why the submission could not be re-run (its code does not load here), if it could not. */
  readonly error?: string;
}

/** The submissions with cells still self-reported, oldest first. */
export function pendingSubmissions(store: Store): schema.SubmissionRow[] {
  if (!store.hasTable('submissions')) return [];
  const rows = store.db.select().from(schema.submissions).orderBy(schema.submissions.createdAt).all();
  return rows.filter((r) =>
    store.db
      .select({ id: schema.cells.id })
      .from(schema.cells)
      .where(eq(schema.cells.runId, r.runId))
      .all()
      .some((c) => store.selfReportedCells([c.id]).size > 0),
  );
}

export async function verifySubmissions(store: Store, opts: VerifyOptions): Promise<VerifyOutcome[]> {
  const out: VerifyOutcome[] = [];
  for (const sub of pendingSubmissions(store)) {
    const dir = join(dataRoot({ dataDir: opts.dataDir }), 'submissions', sub.runId);
    try {
      const sources = EntrySourcesSchema.parse(sub.sources);
      const file = restoreEntrySources(sources, dir);
      const loaded = await loadEntryFile(file);
      if (loaded.entry.id !== sub.entryId)
        throw new Error(`${file}: its entry id is '${loaded.entry.id}', the submission's '${sub.entryId}'`);
      const suite = SuiteSchema.parse(sub.suite);
      opts.log(
        `submission ${sub.runId}: re-running ${sub.entryId} from its stored code (${sources.files.length} files in ${dir})`,
      );
      const summaries = await runSuite({
        suite,
        store,
        command: `${opts.command} (verify submission ${sub.runId})`,
        dataDir: opts.dataDir,
        log: opts.log,
        extraEntries: new Map([[loaded.entry.id, loaded.entry]]),
        entryFiles: new Map([[loaded.entry.id, file]]),
        keepModels: opts.keepModels,
        night: opts.night,
      });
      out.push({ runId: sub.runId, entryId: sub.entryId, summaries });
    } catch (err) {
      const error = (err as Error).message;
      opts.log(`submission ${sub.runId} (${sub.entryId}) could not be re-run: ${error}`);
      out.push({ runId: sub.runId, entryId: sub.entryId, summaries: [], error });
    }
  }
  return out;
}
