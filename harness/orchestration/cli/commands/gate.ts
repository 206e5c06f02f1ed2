/**
 * @module `rftbench gate`: run a suite (or read it from a store) and compare every metric with a committed
 * baseline, failing (exit 1) on regressions beyond sampling noise, failed or missing cells, and cells the
 * baseline does not know. `--update` writes the current results as the new baseline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { compareRecords, GATE_DEFAULTS, isFailing } from '../../gate/compare.ts';
import { readRecordsFile, suiteRecords, writeRecordsFile } from '../../gate/records.ts';
import { formatGateTable } from '../../gate/report.ts';
import { loadSuite } from '../../../protocol/suites.ts';
import { resolveMethods, runSuite } from '../../run/runner.ts';
import { Store } from '../../../../results/store.ts';

function numberFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!Number.isFinite(v) || v < 0) throw new UsageError(`${flag} must be a non-negative number, got '${value}'`);
  return v;
}

const command: Command = {
  name: 'gate',
  summary: 'compare a suite against a committed baseline; exit 1 on regressions beyond sampling noise',
  usage: `Usage: rftbench gate --baseline FILE.json [--suite ID|FILE] [--db PATH] [--no-run] [--update]
                     [--z Z] [--min-drop D] [--data DIR] [--all]

  --baseline FILE  committed records to hold the suite to (e.g. results/baselines/smoke.json)
  --suite ID|FILE  the suite to run (default: smoke)
  --db PATH        store to run into and resume from (default: a fresh temporary store, so the code
                   under test produces every number)
  --no-run         only read --db; do not run anything
  --update         write the current results as the new baseline (every cell must have completed)
  --z Z            a drop must exceed Z standard errors of the difference of two binomial
                   proportions on the two n's (default ${GATE_DEFAULTS.z})
  --min-drop D     and at least D in absolute accuracy (default ${GATE_DEFAULTS.minDrop})
  --all            print every check, not only the ones that are not ok

Exit codes: 0 pass, 1 regression / failed / missing / unknown cell, 2 usage error.
Example: rftbench gate --suite smoke --baseline results/baselines/smoke.json`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      baseline: { type: 'string' },
      suite: { type: 'string', default: 'smoke' },
      db: { type: 'string' },
      data: { type: 'string' },
      'no-run': { type: 'boolean', default: false },
      update: { type: 'boolean', default: false },
      z: { type: 'string' },
      'min-drop': { type: 'string' },
      all: { type: 'boolean', default: false },
    });
    if (!values.baseline) throw new UsageError('--baseline is required');
    if (values['no-run'] && !values.db) throw new UsageError('--no-run needs --db (the store to read)');
    const options = {
      z: numberFlag(values.z, '--z', GATE_DEFAULTS.z),
      minDrop: numberFlag(values['min-drop'], '--min-drop', GATE_DEFAULTS.minDrop),
    };
    const suite = (await resolveMethods(loadSuite(values.suite))).suite;
    // Read the baseline before any work, so a bad file fails in a second, not after the run.
    const baseline = values.update ? undefined : readRecordsFile(values.baseline);
    if (baseline && baseline.suite !== suite.id) {
      throw new Error(`${values.baseline}: baseline is for suite '${baseline.suite}', not '${suite.id}'`);
    }
    const scratch = values.db ? undefined : mkdtempSync(join(tmpdir(), 'rftbench-gate-'));
    const store = Store.open(values.db ?? join(scratch!, 'gate.db'));
    try {
      // A scratch store is thrown away after the comparison: keep no models for it.
      if (!values['no-run'])
        await runSuite({
          suite,
          store,
          command: ['rftbench', 'gate', ...argv].join(' '),
          dataDir: values.data,
          keepModels: scratch ? 'none' : 'all',
        });
      const current = suiteRecords(store, suite);
      if (values.update) {
        const bad = current.records.filter((r) => r.status !== 'completed');
        if (bad.length)
          throw new Error(
            `--update: ${bad.length} cells did not complete (${bad.map((r) => `${r.methodId}/seed ${r.seed}: ${r.status}`).join('; ')}); the baseline was not written`,
          );
        writeRecordsFile(values.baseline, current);
        console.log(`baseline written: ${values.baseline} (${current.records.length} cells)`);
        return 0;
      }
      const rows = compareRecords(baseline!, current, options);
      console.log(formatGateTable(rows, { all: values.all }));
      const failing = rows.filter(isFailing);
      if (failing.length) {
        console.error(`gate FAILED: ${failing.length} checks against ${values.baseline}`);
        return 1;
      }
      console.log(`gate passed against ${values.baseline}`);
      return 0;
    } finally {
      store.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  },
};

export default command;
