/**
 * @module `POST /api/submit`: the site's one write. Token-guarded (require-token.ts); the body is a submission
 * bundle (results/submission-bundle.ts), stored as self-reported cells until a nightly re-run measures them.
 * Answers 201 with the run and its links, 400 naming the bad field, 409 for cells already stored, 503 on a
 * server started without a writable store.
 */
import { Hono } from 'hono';
import { ingestSubmission, SubmissionConflict } from '../results/ingest-submission.ts';
import type { Store } from '../results/store.ts';
import { parseSubmission, type Submission } from '../results/submission-bundle.ts';
import { href } from './format.ts';
import { requireToken } from './require-token.ts';

export function createSubmitRoute(opts: { token?: string; writeStore?: Store }): Hono {
  const app = new Hono();
  app.post('/api/submit', requireToken(opts.token), async (c) => {
    if (!opts.writeStore)
      return c.json({ error: 'this server takes no submissions (started without a writable store)' }, 503);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'the body is not JSON (send the bundle rftbench submit wrote)' }, 400);
    }
    let bundle: Submission;
    try {
      bundle = parseSubmission(body, 'POST /api/submit');
    } catch (err) {
      return c.json({ error: (err as Error).message }, 400);
    }
    try {
      const { runId, cells } = ingestSubmission(opts.writeStore, bundle);
      const cellUrls = bundle.cells.map((x) => href.cell(x.id));
      return c.json(
        { runId, cells, verification: 'self-reported', url: `/run/${encodeURIComponent(runId)}`, cellUrls },
        201,
      );
    } catch (err) {
      if (err instanceof SubmissionConflict) return c.json({ error: err.message }, 409);
      throw err;
    }
  });
  return app;
}
