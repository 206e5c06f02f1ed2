/**
 * @module `rftbench submit ENTRY.ts`: validate a method entry (shape, determinism and tensor leaks on the
 * smoke tier, time budget), run it on a tier, and write a submission bundle (records + sha256 of the
 * entry's source); `--to URL --token T` posts the bundle to a leaderboard, which stores it as
 * self-reported until its nightly re-run measures it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { KEEP_MODELS_USAGE, keepModelsOption, parseKeepModels } from '../keep-models-flag.ts';
import { expandSuite } from '../../../protocol/cells.ts';
import { loadSuite } from '../../../protocol/suites.ts';
import { describeEnvironment } from '../../run/provenance.ts';
import { resolveMethods, runSuite } from '../../run/runner.ts';
import { describeMethod } from '../../run/method-info.ts';
import { parseSubmission, type Submission } from '../../../../results/submission-bundle.ts';
import { CELL_BUDGET_SECONDS, checkEntry, suiteFor } from '../../submit/checks.ts';
import { loadEntryFile } from '../../submit/load-entry.ts';
import { collectEntrySources } from '../../submit/entry-sources.ts';
import { initBackend } from '../../../foundation/tensor/backend.ts';
import { processLogger } from '../../../foundation/util/log.ts';
import { writeJsonAtomic } from '../../../foundation/util/atomic-write.ts';
import { Store } from '../../../../results/store.ts';

const command: Command = {
  name: 'submit',
  summary: 'validate a method entry, run it on a tier, write a submission bundle (and post it)',
  usage: `Usage: rftbench submit ENTRY.ts [--tier smoke|quick|standard] [--out FILE] [--data DIR] [--to URL --token T]
                     [--keep-models all|none]

  ENTRY.ts         a file whose default export is defineMethod({...}) (see README: add a method)
  --tier T         the tier to run the entry on after the checks (default: quick)
  --out FILE       the bundle (default: results/submissions/<id>-<sha12>.json)
  --data DIR       dataset and source-model cache
  --to URL         a leaderboard to post the bundle to (POST URL/api/submit)
  --token T        its bearer token (or RFTBENCH_TOKEN)
  ${KEEP_MODELS_USAGE}

Checks, on the smoke tier: the entry loads and its config schema has defaults; two runs give identical
metrics; no tensors are left behind; each cell finishes within ${CELL_BUDGET_SECONDS.smoke} s. Any failure stops
the submission with the reason.
Example: rftbench submit my-method.ts --tier quick --to https://board.example.org --token $TOKEN`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      {
        tier: { type: 'string', default: 'quick' },
        out: { type: 'string' },
        data: { type: 'string' },
        to: { type: 'string' },
        token: { type: 'string' },
        ...keepModelsOption,
      },
      { positionals: 1 },
    );
    const keepModels = parseKeepModels(values['keep-models']);
    const [file] = positionals;
    if (!file) throw new UsageError('the entry file is required: rftbench submit ENTRY.ts');
    if (!['smoke', 'quick', 'standard'].includes(values.tier))
      throw new UsageError(`--tier must be smoke, quick or standard, got '${values.tier}'`);
    const token = values.token ?? process.env.RFTBENCH_TOKEN;
    if (values.to && !token) throw new UsageError('--to needs --token (or RFTBENCH_TOKEN)');
    if (values.to) {
      try {
        new URL(values.to);
      } catch {
        throw new UsageError(`--to must be a URL, got '${values.to}'`);
      }
    }
    const log = processLogger().line; // the command's logger: cell events and progress lines too
    const loaded = await loadEntryFile(file);
    // The entry's own files go into the bundle (size-limited): checked now, before minutes of running.
    const sources = collectEntrySources(loaded.path);
    const { entry } = loaded;
    console.error(
      `entry ${entry.id} (${basename(loaded.path)}, sha256 ${loaded.sha256.slice(0, 12)}): checking on the smoke tier`,
    );
    const environment = describeEnvironment(await initBackend());
    const checks = await checkEntry(entry, { dataDir: values.data, log });
    if (checks.problems.length) {
      console.error(`submission refused:\n${checks.problems.map((p) => `  - ${p}`).join('\n')}`);
      return 1;
    }
    console.error(
      `checks passed: deterministic, no leaked tensors, slowest smoke cell ${checks.slowestCellSeconds.toFixed(1)} s`,
    );

    // Cell ids hash the resolved config (defaults filled in), as the runner computes them.
    const suite = (await resolveMethods(suiteFor(loadSuite(values.tier), entry), new Map([[entry.id, entry]]))).suite;
    const budget = CELL_BUDGET_SECONDS[suite.tier.id];
    const scratch = mkdtempSync(join(tmpdir(), 'rftbench-submit-'));
    let bundle: Submission;
    try {
      const store = Store.open(join(scratch, 'submission.db'));
      try {
        const summaries = await runSuite({
          suite,
          store,
          command: `rftbench submit ${file}`,
          dataDir: values.data,
          log,
          extraEntries: new Map([[entry.id, entry]]),
          entryFiles: new Map([[entry.id, loaded.path]]),
          keepModels,
        });
        const slow = summaries.filter((s) => s.seconds > budget);
        if (slow.length) {
          console.error(
            `submission refused: ${slow.length} cells exceeded the ${suite.tier.id} tier's budget of ${budget} s per cell (slowest ${Math.max(...slow.map((s) => s.seconds)).toFixed(0)} s)`,
          );
          return 1;
        }
        const cells = expandSuite(suite).map((c) => {
          const r = store.getCell(c.id)!;
          return {
            id: r.id,
            taskId: r.taskId,
            methodId: r.methodId,
            seed: r.seed,
            status: r.status,
            error: r.error,
            spec: r.spec,
            provenance: r.provenance,
            artifacts: r.artifacts,
            startedAt: r.startedAt,
            finishedAt: r.finishedAt,
            trainSeconds: r.trainSeconds,
            evalSeconds: r.evalSeconds,
            metrics: r.metrics.map((m) => ({
              name: m.name,
              value: m.value,
              n: m.n,
              ciLow: m.ciLow,
              ciHigh: m.ciHigh,
              details: m.details,
            })),
          };
        });
        // Parsing our own bundle checks it exactly as a server will (ids re-derived from specs).
        bundle = parseSubmission(
          JSON.parse(
            JSON.stringify({
              format: 'rftbench-submission/1',
              createdAt: new Date().toISOString(),
              entry: {
                ...describeMethod(entry),
                paper: entry.paper,
                file: basename(loaded.path),
                sha256: loaded.sha256,
                sources,
              },
              suite,
              checks: {
                deterministic: checks.deterministic,
                leakedTensors: checks.leakedTensors,
                budgetSecondsPerCell: budget,
                slowestCellSeconds: Math.max(...summaries.map((s) => s.seconds)),
              },
              environment,
              cells,
            }),
          ),
          'rftbench submit',
        );
      } finally {
        store.close();
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    const out = values.out ?? join('results', 'submissions', `${entry.id}-${loaded.sha256.slice(0, 12)}.json`);
    writeJsonAtomic(out, bundle);
    console.log(
      `bundle written: ${out} (${bundle.cells.length} cells, ${bundle.cells.filter((c) => c.status === 'completed').length} completed)`,
    );
    if (values.to) {
      const url = new URL('/api/submit', values.to).toString();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(bundle),
      });
      const text = await res.text();
      if (!res.ok) {
        console.error(`${url} refused the submission: HTTP ${res.status} ${text}`);
        return 1;
      }
      console.log(`posted to ${url}: ${text}`);
    }
    return 0;
  },
};

export default command;
