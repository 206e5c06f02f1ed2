/**
 * @module The table `rftbench run` prints at the end: one row per cell, accuracies with their n. AutoAttack
 * and corruption columns appear when the tier measures them (AutoAttack often on fewer points: its own n).
 */
import type { CellSummary } from './runner.ts';

function pct(summary: CellSummary, name: string): string {
  const m = summary.metrics.find((x) => x.name === name);
  return m ? `${(m.value * 100).toFixed(1)}%` : '-';
}

const has = (summaries: CellSummary[], name: string) => summaries.some((s) => s.metrics.some((m) => m.name === name));
const nOf = (s: CellSummary, name: string) => String(s.metrics.find((m) => m.name === name)?.n ?? '-');

export function formatResultsTable(summaries: CellSummary[]): string {
  const aa = has(summaries, 'autoattack');
  const corruption = has(summaries, 'corruption');
  const header = [
    'task',
    'method',
    'seed',
    'status',
    'clean',
    'PGD',
    'n',
    ...(aa ? ['AA', 'AA n'] : []),
    ...(corruption ? ['corr.'] : []),
    'time',
  ];
  const rows = summaries.map((s) => [
    s.cell.spec.task.id,
    s.cell.spec.method.id,
    String(s.cell.spec.seed),
    s.status === 'skipped' ? 'stored' : s.status,
    pct(s, 'clean'),
    pct(s, 'pgd'),
    nOf(s, 'clean'),
    ...(aa ? [pct(s, 'autoattack'), nOf(s, 'autoattack')] : []),
    ...(corruption ? [pct(s, 'corruption')] : []),
    s.status === 'skipped' ? '-' : `${s.seconds.toFixed(0)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  for (const s of summaries) if (s.error) out.push(`  ${s.cell.spec.method.id}: ${s.error}`);
  return out.join('\n');
}
