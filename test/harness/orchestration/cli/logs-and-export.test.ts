/**
 * One real `rftbench run --suite smoke --log-format json` (every stderr line a JSON object, cell-start and
 * cell-end among them), then `rftbench export` of the store it made, as CSV and JSON, checked against the
 * store; bad flags and a missing store fail naming the flag or the path, and create nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS, type ExportedCell } from '../../../../results/export.ts';
import { Store, type CellWithMetrics } from '../../../../results/store.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-logs-export-'));
const db = join(dir, 'smoke.db');

function rftbench(...args: string[]) {
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RFTBENCH_DATA: join(dir, 'data') },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

let run: ReturnType<typeof rftbench>;
let stored: CellWithMetrics[];

beforeAll(() => {
  run = rftbench('run', '--suite', 'smoke', '--db', db, '--log-format', 'json', '--keep-models', 'none');
  const store = Store.open(db, { readonly: true });
  try {
    stored = store.listCells();
  } finally {
    store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--log-format json on a real smoke run', () => {
  it('writes only JSON lines to stderr, with the time, the elapsed seconds, cell-start and cell-end events', () => {
    expect(run.status, run.err).toBe(0);
    expect(run.out).toContain('results in'); // stdout keeps the results table
    const lines = run.err.split('\n').filter((l) => l !== '');
    const events = lines.map((l) => JSON.parse(l));
    let elapsed = 0;
    for (const e of events) {
      expect(Object.keys(e).slice(0, 5)).toEqual(['t', 'elapsed', 'level', 'event', 'msg']);
      expect(new Date(e.t).toISOString()).toBe(e.t);
      expect(e.elapsed).toBeGreaterThanOrEqual(elapsed);
      elapsed = e.elapsed;
    }
    const starts = events.filter((e) => e.event === 'cell-start');
    const ends = events.filter((e) => e.event === 'cell-end');
    expect(starts.map((e) => e.cell).sort()).toEqual(stored.map((c) => c.id).sort());
    expect(ends.map((e) => e.cell)).toEqual(starts.map((e) => e.cell));
    expect(starts[0].suiteEta).toBeNull(); // nothing measured yet
    expect(starts[1].suiteEta).toBeGreaterThan(0);
    for (const end of ends) {
      const cell = stored.find((c) => c.id === end.cell)!;
      expect(end.status).toBe('completed');
      expect(end.metrics).toEqual(Object.fromEntries(cell.metrics.map((m) => [m.name, m.value])));
    }
    // Each epoch of every fit (the source's pre-training and each cell's fine-tuning) has its ETA line.
    const epochs = events.filter((e) => e.event === 'epoch');
    expect(epochs.length).toBeGreaterThanOrEqual(4);
    for (const e of epochs) expect(typeof e.phaseEta).toBe('number');
  });

  it('refuses a bad --log-format naming the flag', () => {
    const r = rftbench('run', '--suite', 'smoke', '--log-format', 'xml');
    expect(r.status).toBe(2);
    expect(r.err).toContain("--log-format must be text or json, got 'xml'");
    expect(rftbench('env', '--log-format').err).toContain('--log-format needs a value');
  });
});

describe('rftbench export', () => {
  it('CSV to stdout: a header, then one row per cell and metric with the stored values', () => {
    const r = rftbench('export', '--db', db);
    expect(r.status, r.err).toBe(0);
    const [header, ...rows] = r.out
      .trimEnd()
      .split('\r\n')
      .map((l) => l.split(','));
    expect(header).toEqual([...CSV_COLUMNS]);
    const col = (name: string) => header.indexOf(name);
    expect(rows).toHaveLength(stored.reduce((n, c) => n + Math.max(1, c.metrics.length), 0));
    for (const c of stored) {
      for (const m of c.metrics) {
        const row = rows.find((x) => x[col('cell_id')] === c.id && x[col('metric')] === m.name)!;
        expect(Number(row[col('value')])).toBeCloseTo(m.value, 9);
        expect(Number(row[col('n')])).toBe(m.n);
        expect(row[col('method_id')]).toBe(c.methodId);
        expect(row[col('status')]).toBe('completed');
      }
    }
    // The text log format: time of day, elapsed, message.
    expect(rftbench('export', '--db', db, '--out', join(dir, 'x.csv')).err).toMatch(
      /^\d\d:\d\d:\d\dZ \+0:00:\d\d exported 2 cells from /,
    );
  });

  it('JSON to --out, written atomically: every cell with its metrics, provenance and spec', () => {
    const out = join(dir, 'export', 'cells.json');
    const r = rftbench('export', '--db', db, '--format', 'json', '--out', out);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('');
    expect(readdirSync(join(dir, 'export'))).toEqual(['cells.json']); // no temporary file left behind
    const cells = JSON.parse(readFileSync(out, 'utf8')) as ExportedCell[];
    expect(cells.map((c) => c.id)).toEqual(stored.map((c) => c.id));
    for (const [i, c] of cells.entries()) {
      expect(c.metrics.map((m) => [m.name, m.value, m.n, m.ciLow, m.ciHigh])).toEqual(
        stored[i].metrics.map((m) => [m.name, m.value, m.n, m.ciLow, m.ciHigh]),
      );
      expect(c.metrics.find((m) => m.name === 'pgd')!.details).toEqual(
        stored[i].metrics.find((m) => m.name === 'pgd')!.details,
      );
      expect(c.provenance.commit).toBe(stored[i].provenance.commit);
      expect(c.spec).toEqual(stored[i].spec);
      expect(c.finishedAt).toBe(new Date(stored[i].finishedAt).toISOString());
      expect(c.model).toBeNull(); // --keep-models none
    }
  });

  it('a missing store is an error naming its path, and no store (or folder) is created', () => {
    const missing = join(dir, 'nowhere', 'none.db');
    const r = rftbench('export', '--db', missing);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`${missing}: no such results store`);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('a bad --format names the flag', () => {
    const r = rftbench('export', '--db', db, '--format', 'xlsx');
    expect(r.status).toBe(2);
    expect(r.err).toContain("--format must be csv or json, got 'xlsx'");
  });
});
