/**
 * `rftbench gate` and `rftbench nightly` end to end on the smoke suite: a baseline written with --update
 * passes; a regression planted in the store (one metric lowered) fails with a table naming it; a
 * malformed baseline names the field; a second night compares with the first and reports the change.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecordsFile } from '../../../../harness/orchestration/gate/records.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-gate-'));
const data = join(dir, 'data');
const db = join(dir, 'gate.db');
const baseline = join(dir, 'baseline.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rftbench(...args: string[]) {
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RFTBENCH_DATA: data },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('rftbench gate', () => {
  it('passes on its own baseline and fails on a planted regression, naming the cell and metric', () => {
    let r = rftbench('gate', '--suite', 'smoke', '--db', db, '--baseline', baseline, '--update');
    expect(r.status, r.err).toBe(0);
    const written = JSON.parse(readFileSync(baseline, 'utf8')) as RecordsFile;
    expect(written.records.map((c) => c.status)).toEqual(['completed', 'completed']);

    r = rftbench('gate', '--suite', 'smoke', '--db', db, '--no-run', '--baseline', baseline);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/10 checks: 10 ok/);

    // Plant a regression: the `at` cell's PGD accuracy drops by 50 points.
    const planted = join(dir, 'planted.db');
    cpSync(db, planted);
    const sql = new Database(planted);
    const atCell = written.records.find((c) => c.methodId === 'at')!.cellId;
    sql.prepare("UPDATE metrics SET value = value - 0.5 WHERE cell_id = ? AND name = 'pgd'").run(atCell);
    sql.close();
    r = rftbench('gate', '--suite', 'smoke', '--db', planted, '--no-run', '--baseline', baseline);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/REGRESSED\s+synthetic-transfer\/linf-8\s+at\s+0\s+pgd\s+\S+\s+\S+\s+-50\.0/);
    expect(r.out).toMatch(/9 ok, 0 improved, 1 regressed/);
    expect(r.err).toContain('gate FAILED');
  }, 180_000);

  it('names the bad field of a malformed baseline, and refuses a baseline of another suite', () => {
    const bad = JSON.parse(readFileSync(baseline, 'utf8'));
    bad.records[0].metrics[0].value = 'high';
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    let r = rftbench('gate', '--suite', 'smoke', '--db', db, '--no-run', '--baseline', join(dir, 'bad.json'));
    expect(r.status).toBe(1);
    expect(r.err).toContain(`${join(dir, 'bad.json')}: invalid records file`);
    expect(r.err).toContain('records.0.metrics.0.value');
    bad.records[0].metrics[0].value = 0.5;
    bad.suite = 'quick';
    writeFileSync(join(dir, 'other.json'), JSON.stringify(bad));
    r = rftbench('gate', '--suite', 'smoke', '--db', db, '--no-run', '--baseline', join(dir, 'other.json'));
    expect(r.status).toBe(1);
    expect(r.err).toContain("baseline is for suite 'quick', not 'smoke'");
    r = rftbench('gate', '--suite', 'smoke');
    expect(r.status).toBe(2);
    expect(r.err).toContain('--baseline is required');
  });
});

describe('rftbench nightly', () => {
  it('exports records, compares with the previous night and reports what changed', () => {
    const out = join(dir, 'nightly');
    let r = rftbench('nightly', '--suite', 'smoke', '--out', out, '--date', '2026-11-20');
    expect(r.status, r.err).toBe(0);
    expect(readFileSync(join(out, '2026-11-20', 'report.md'), 'utf8')).toContain('first night');
    // Pretend the previous night's `standard` cell scored higher on PGD than tonight's will (in the store's history).
    const prevPath = join(out, '2026-11-20', 'records.json');
    const prev = JSON.parse(readFileSync(prevPath, 'utf8')) as RecordsFile;
    const std = prev.records.find((c) => c.methodId === 'standard')!;
    const sql = new Database(join(out, 'store.db'));
    sql
      .prepare(
        "UPDATE measurements SET metrics = json_set(metrics, '$.pgd.value', min(1.0, json_extract(metrics, '$.pgd.value') + 0.45)) WHERE cell_id = ? AND night = '2026-11-20'",
      )
      .run(std.cellId);
    sql.close();

    r = rftbench('nightly', '--suite', 'smoke', '--out', out, '--date', '2026-11-21');
    expect(r.status).toBe(1);
    const report = readFileSync(join(out, '2026-11-21', 'report.md'), 'utf8');
    expect(report).toContain('compared with 2026-11-20');
    expect(report).toMatch(/\| REGRESSED \| synthetic-transfer\/linf-8 \| standard \| 0 \| pgd \|/);
    const tonight = JSON.parse(readFileSync(join(out, '2026-11-21', 'records.json'), 'utf8')) as RecordsFile;
    // Tonight's numbers come from tonight's own run, identical to the first night's real ones.
    expect(tonight.records.find((c) => c.methodId === 'at')).toMatchObject({
      metrics: prev.records.find((c) => c.methodId === 'at')!.metrics,
    });
  }, 240_000);
});
