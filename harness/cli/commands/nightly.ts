/**
 * @module `rftbench nightly`: one night of a suite. Runs it into that night's own store (resuming if the
 * night was interrupted; a fresh store each night, so tonight's code produces tonight's numbers), exports
 * the records as JSON, gates them against the most recent earlier night, and writes a markdown report of
 * what changed. Layout: `<out>/<YYYY-MM-DD>/{store.db, records.json, report.md}`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { compareRecords, GATE_DEFAULTS, isFailing, type GateRow } from '../../gate/compare.ts';
import { readRecordsFile, suiteRecords, writeRecordsFile } from '../../gate/records.ts';
import { formatGateTable, nightlyMarkdown } from '../../gate/report.ts';
import { loadSuite } from '../../protocol/suites.ts';
import { gitCommit } from '../../run/provenance.ts';
import { resolveMethods, runSuite } from '../../run/runner.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { Store } from '../../../results/store.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The latest night before `date` that exported records for this suite. */
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
  summary: 'run a suite for tonight, export its records, gate against the previous night, write a report',
  usage: `Usage: rftbench nightly [--suite ID|FILE] [--out DIR] [--date YYYY-MM-DD] [--data DIR] [--z Z] [--min-drop D]

  --suite ID|FILE  suite to run (default: standard)
  --out DIR        where nights live (default: results/nightly); tonight writes DIR/<date>/store.db,
                   records.json and report.md
  --date D         the night's date (default: today, UTC); re-running the same night resumes it
  --data DIR       dataset and source-model cache
  --z, --min-drop  the gate's noise rule (see rftbench gate --help)

Exit codes: 0 nothing regressed, 1 a regression, failed or missing cell, 2 usage error.
Example: rftbench nightly --suite standard`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      suite: { type: 'string', default: 'standard' },
      out: { type: 'string', default: 'results/nightly' },
      date: { type: 'string', default: new Date().toISOString().slice(0, 10) },
      data: { type: 'string' },
      z: { type: 'string' },
      'min-drop': { type: 'string' },
    });
    if (!DATE.test(values.date)) throw new UsageError(`--date must be YYYY-MM-DD, got '${values.date}'`);
    const z = values.z === undefined ? GATE_DEFAULTS.z : Number(values.z);
    const minDrop = values['min-drop'] === undefined ? GATE_DEFAULTS.minDrop : Number(values['min-drop']);
    if (!(z >= 0) || !(minDrop >= 0)) throw new UsageError('--z and --min-drop must be non-negative numbers');
    const suite = (await resolveMethods(loadSuite(values.suite))).suite;
    const night = join(values.out, values.date);
    const prevDate = previousNight(values.out, values.date, suite.id);
    const store = Store.open(join(night, 'store.db'));
    try {
      await runSuite({ suite, store, command: ['rftbench', 'nightly', ...argv].join(' '), dataDir: values.data });
      const records = suiteRecords(store, suite);
      writeRecordsFile(join(night, 'records.json'), records);
      let rows: GateRow[] = [];
      if (prevDate) rows = compareRecords(readRecordsFile(join(values.out, prevDate, 'records.json')), records, { z, minDrop });
      const report = nightlyMarkdown({
        suite: suite.id,
        date: values.date,
        previousDate: prevDate,
        rows,
        completed: records.records.filter((r) => r.status === 'completed').length,
        failed: records.records.filter((r) => r.status === 'failed').length,
        total: records.records.length,
        commit: gitCommit(),
      });
      writeFileAtomic(join(night, 'report.md'), report);
      if (prevDate) console.log(formatGateTable(rows));
      console.log(`night ${values.date}: records ${join(night, 'records.json')}, report ${join(night, 'report.md')}`);
      const failedCells = records.records.filter((r) => r.status !== 'completed').length;
      return rows.some(isFailing) || failedCells ? 1 : 0;
    } finally {
      store.close();
    }
  },
};

export default command;
