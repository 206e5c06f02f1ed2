/**
 * @module `rftbench nightly`: one night of a suite, appended to one long-lived store (`<out>/store.db`, or
 * `--db`): every cell is measured once per night (a re-run of the same night resumes, skipping cells measured
 * tonight by the same code), submissions still self-reported are re-run from their stored code, and the night's
 * records are gated against the previous night in the store's history (or `--baseline FILE`) by the gate's
 * noise rule. Layout: `<out>/store.db` and `<out>/<YYYY-MM-DD>/{records.json, report.md}`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { KEEP_MODELS_USAGE, keepModelsOption, parseKeepModels } from '../keep-models-flag.ts';
import { checkForce, FORCE_USAGE, forceOption, withForceValue } from '../force-flag.ts';
import { compareRecords, GATE_DEFAULTS, isFailing, type GateRow } from '../../gate/compare.ts';
import { previousNightRecords } from '../../gate/history.ts';
import { readRecordsFile, suiteRecords, writeRecordsFile, type RecordsFile } from '../../gate/records.ts';
import { formatGateTable, nightlyMarkdown } from '../../gate/report.ts';
import { expandSuite } from '../../../protocol/cells.ts';
import { loadSuite } from '../../../protocol/suites.ts';
import { gitCommit } from '../../run/provenance.ts';
import { resolveMethods, runSuite } from '../../run/runner.ts';
import { verifySubmissions } from '../../run/verify-submissions.ts';
import { writeFileAtomic } from '../../../foundation/util/atomic-write.ts';
import { processLogger } from '../../../foundation/util/log.ts';
import { Store } from '../../../../results/store.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The latest night before `date` that exported records for this suite (nights of the per-night-store layout). */
export function previousNight(out: string, date: string, suite: string): string | undefined {
  if (!existsSync(out)) return undefined;
  return readdirSync(out)
    .filter((d) => DATE.test(d) && d < date && existsSync(join(out, d, 'records.json')))
    .sort()
    .reverse()
    .find((d) => readRecordsFile(join(out, d, 'records.json')).suite === suite);
}

const command: Command = {
  name: 'nightly',
  summary: 'measure a suite for tonight into one long-lived store, gate against the previous night, write a report',
  usage: `Usage: rftbench nightly [--suite ID|FILE] [--out DIR] [--db PATH] [--date YYYY-MM-DD] [--data DIR]
                       [--baseline FILE] [--z Z] [--min-drop D] [--force [ID]] [--no-run] [--keep-models all|none]

  --suite ID|FILE  suite to run (default: standard)
  --out DIR        where nights live (default: results/nightly): the store DIR/store.db, and per night
                   DIR/<date>/records.json and report.md
  --db PATH        the long-lived store (default: DIR/store.db); every night appends its measurements
  --date D         the night's date (default: today, UTC); re-running the same night resumes it: cells
                   measured that night by the same code are not measured again
  --data DIR       dataset and source-model cache (submissions' code is written to DIR/submissions/)
  --baseline FILE  gate against these records (rftbench gate's format) instead of the previous night
  --z, --min-drop  the gate's noise rule (see rftbench gate --help)
  ${FORCE_USAGE}
  --no-run         measure nothing: gate and report what the store holds for the night
  ${KEEP_MODELS_USAGE}

Exit codes: 0 nothing regressed, 1 a regression, failed or missing cell, 2 usage error.
Example: rftbench nightly --suite standard`,
  async run(argv) {
    const { values } = parseFlags(withForceValue(argv), {
      suite: { type: 'string', default: 'standard' },
      out: { type: 'string', default: 'results/nightly' },
      db: { type: 'string' },
      date: { type: 'string', default: new Date().toISOString().slice(0, 10) },
      data: { type: 'string' },
      baseline: { type: 'string' },
      z: { type: 'string' },
      'min-drop': { type: 'string' },
      'no-run': { type: 'boolean', default: false },
      ...forceOption,
      ...keepModelsOption,
    });
    const keepModels = parseKeepModels(values['keep-models']);
    if (!DATE.test(values.date)) throw new UsageError(`--date must be YYYY-MM-DD, got '${values.date}'`);
    const z = values.z === undefined ? GATE_DEFAULTS.z : Number(values.z);
    const minDrop = values['min-drop'] === undefined ? GATE_DEFAULTS.minDrop : Number(values['min-drop']);
    if (!(z >= 0) || !(minDrop >= 0)) throw new UsageError('--z and --min-drop must be non-negative numbers');
    const suite = (await resolveMethods(loadSuite(values.suite))).suite;
    checkForce(values.force, expandSuite(suite));
    // Read a baseline before any work, so a bad file fails in a second, not after the run.
    const baselineFile = values.baseline ? readRecordsFile(values.baseline) : undefined;
    if (baselineFile && baselineFile.suite !== suite.id)
      throw new Error(`${values.baseline}: baseline is for suite '${baselineFile.suite}', not '${suite.id}'`);
    const night = join(values.out, values.date);
    const command = ['rftbench', 'nightly', ...argv].join(' ');
    const store = Store.open(values.db ?? join(values.out, 'store.db'));
    try {
      if (!values['no-run']) {
        await runSuite({
          suite,
          store,
          command,
          dataDir: values.data,
          keepModels,
          night: values.date,
          force: values.force,
        });
        const verified = await verifySubmissions(store, {
          dataDir: values.data,
          log: processLogger().line,
          keepModels,
          night: values.date,
          command,
        });
        for (const v of verified)
          console.log(
            `submission ${v.runId} (${v.entryId}): ${v.error ? `not re-run: ${v.error}` : `${v.summaries.filter((s) => s.status === 'completed').length} cells measured`}`,
          );
      }
      const records = suiteRecords(store, suite);
      writeRecordsFile(join(night, 'records.json'), records);
      const previous = baseline(store, suite, values, baselineFile);
      const rows: GateRow[] = previous ? compareRecords(previous.records, records, { z, minDrop }) : [];
      const report = nightlyMarkdown({
        suite: suite.id,
        date: values.date,
        previousDate: previous?.label,
        rows,
        completed: records.records.filter((r) => r.status === 'completed').length,
        failed: records.records.filter((r) => r.status === 'failed').length,
        total: records.records.length,
        commit: gitCommit(),
      });
      writeFileAtomic(join(night, 'report.md'), report);
      if (previous) console.log(formatGateTable(rows));
      for (const r of rows.filter(isFailing))
        console.log(
          `${r.verdict.toUpperCase()}: cell ${r.cellId} (${r.taskId} · ${r.methodId} · seed ${r.seed}) ${r.metric}`,
        );
      console.log(
        `night ${values.date}: store ${store.path}, records ${join(night, 'records.json')}, report ${join(night, 'report.md')}`,
      );
      const failedCells = records.records.filter((r) => r.status !== 'completed').length;
      return rows.some(isFailing) || failedCells ? 1 : 0;
    } finally {
      store.close();
    }
  },
};

/**
 * What tonight is held to: `--baseline`, else the previous night in the store's history, else (a store that
 * starts tonight beside nights of the old per-night layout) the previous night's exported records.
 */
function baseline(
  store: Store,
  suite: Parameters<typeof previousNightRecords>[1],
  values: { baseline?: string; out: string; date: string },
  file?: RecordsFile,
) {
  if (file) return { records: file, label: values.baseline! };
  const prev = previousNightRecords(store, suite, values.date);
  if (prev) return { records: prev.records, label: prev.night };
  const old = previousNight(values.out, values.date, suite.id);
  return old ? { records: readRecordsFile(join(values.out, old, 'records.json')), label: old } : undefined;
}

export default command;
