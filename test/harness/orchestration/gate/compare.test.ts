import { describe, expect, it } from 'vitest';
import { compareRecords, isFailing, noiseTolerance } from '../../../../harness/orchestration/gate/compare.ts';
import type { CellRecord, RecordsFile } from '../../../../harness/orchestration/gate/records.ts';
import { formatGateTable, nightlyMarkdown } from '../../../../harness/orchestration/gate/report.ts';

const metric = (name: string, value: number, n = 1000) => ({ name, value, n, ciLow: 0, ciHigh: 1 });
const cell = (
  cellId: string,
  metrics: CellRecord['metrics'],
  status: CellRecord['status'] = 'completed',
): CellRecord => ({ cellId, taskId: 't/linf-8', methodId: `m-${cellId}`, seed: 0, status, metrics });
const file = (records: CellRecord[]): RecordsFile => ({
  format: 'rftbench-records/1',
  suite: 's',
  tier: 'smoke',
  protocol: 1,
  createdAt: '2026-11-22T00:00:00Z',
  records,
});

describe('regression gate rule', () => {
  it('tolerates the sampling noise of two binomial proportions', () => {
    // p = 0.5 on 1000 + 1000 points: z * sqrt(0.25 * 2 / 1000) = 3 * 0.02236
    expect(noiseTolerance(metric('a', 0.5), metric('a', 0.5), { z: 3, minDrop: 0 })).toBeCloseTo(0.06708, 4);
    // More points, less noise; an absolute floor wins when larger.
    expect(noiseTolerance(metric('a', 0.5, 10000), metric('a', 0.5, 10000), { z: 3, minDrop: 0 })).toBeCloseTo(
      0.02121,
      4,
    );
    expect(noiseTolerance(metric('a', 0.5, 10000), metric('a', 0.5, 10000), { z: 3, minDrop: 0.05 })).toBe(0.05);
    // A perfect score still has a noise floor.
    expect(noiseTolerance(metric('a', 1, 100), metric('a', 1, 100), { z: 3, minDrop: 0 })).toBeGreaterThan(0);
  });

  it('fails on a drop beyond noise, a failed, missing or unknown cell; passes within noise', () => {
    const base = file([
      cell('a', [metric('clean', 0.9), metric('pgd', 0.5)]),
      cell('b', [metric('clean', 0.8)]),
      cell('c', [metric('clean', 0.7)]),
    ]);
    const now = file([
      cell('a', [metric('clean', 0.89), metric('pgd', 0.4)]),
      cell('b', [], 'failed'),
      cell('d', [metric('clean', 0.7)]),
    ]);
    const rows = compareRecords(base, now, { z: 3, minDrop: 0 });
    const verdicts = Object.fromEntries(rows.map((r) => [`${r.cellId}:${r.metric}`, r.verdict]));
    expect(verdicts).toEqual({
      'a:clean': 'ok',
      'a:pgd': 'regressed',
      'b:*': 'failed',
      'c:*': 'missing',
      'd:*': 'new',
    });
    expect(rows.filter(isFailing)).toHaveLength(4);
    const pgd = rows.find((r) => r.metric === 'pgd')!;
    expect(pgd.delta).toBeCloseTo(-0.1, 12);
    const table = formatGateTable(rows);
    expect(table).toMatch(/REGRESSED\s+t\/linf-8\s+m-a\s+0\s+pgd\s+50\.0%\s+40\.0%\s+-10\.0/);
    expect(table).not.toMatch(/^OK/m);
    expect(formatGateTable(compareRecords(base, base))).toMatch(/4 checks: 4 ok, 0 improved, 0 regressed/);
    const md = nightlyMarkdown({
      suite: 's',
      date: '2026-11-22',
      previousDate: '2026-11-21',
      rows,
      completed: 2,
      failed: 1,
      total: 3,
      commit: 'abc',
    });
    expect(md).toContain('## Needs attention (4)');
    expect(md).toContain('| REGRESSED | t/linf-8 | m-a | 0 | pgd | 50.0% | 40.0% | -10.0 |');
  });
});
