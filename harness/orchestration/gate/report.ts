/** @module The gate's verdicts as a console table and as markdown (the nightly report). */
import { isFailing, type GateRow, type Verdict } from './compare.ts';

const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);
const signed = (v: number | undefined) => (v === undefined ? '-' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`);

export function countVerdicts(rows: readonly GateRow[]): Record<Verdict, number> {
  const out: Record<Verdict, number> = { ok: 0, regressed: 0, improved: 0, failed: 0, missing: 0, new: 0 };
  for (const r of rows) out[r.verdict]++;
  return out;
}

function cells(r: GateRow): string[] {
  return [
    r.verdict.toUpperCase(),
    r.taskId,
    r.methodId,
    String(r.seed),
    r.metric,
    pct(r.baseline),
    pct(r.current),
    signed(r.delta),
    r.tolerance === undefined ? '-' : `±${(r.tolerance * 100).toFixed(1)}`,
    r.note ?? '',
  ];
}

const HEAD = ['verdict', 'task', 'method', 'seed', 'metric', 'baseline', 'now', 'Δ pts', 'noise', 'note'];

/** Fixed-width text: the rows that fail or improved (all rows with `all`). */
export function formatGateTable(rows: readonly GateRow[], { all = false } = {}): string {
  const shown = rows.filter((r) => all || r.verdict !== 'ok');
  const c = countVerdicts(rows);
  const summary = `gate: ${rows.length} checks: ${c.ok} ok, ${c.improved} improved, ${c.regressed} regressed, ${c.failed} failed, ${c.missing} missing, ${c.new} new`;
  if (!shown.length) return summary;
  const table = [HEAD, ...shown.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const lines = table.map((r) =>
    r
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
  return [lines[0], widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(1), '', summary].join('\n');
}

function mdTable(rows: readonly GateRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
  ].join('\n');
}

export interface NightlyReportInput {
  readonly suite: string;
  readonly date: string;
  readonly previousDate?: string;
  readonly rows: readonly GateRow[];
  readonly completed: number;
  readonly failed: number;
  readonly total: number;
  readonly commit: string;
}

/** The night's markdown report: what changed since the previous night, failures first. */
export function nightlyMarkdown(r: NightlyReportInput): string {
  const c = countVerdicts(r.rows);
  const out = [`# rftbench nightly: ${r.suite}, ${r.date}`, ''];
  out.push(`- commit \`${r.commit}\`; ${r.completed} of ${r.total} cells completed, ${r.failed} failed`);
  if (!r.previousDate) {
    out.push('- first night: no previous records to compare with', '');
    return out.join('\n');
  }
  out.push(
    `- compared with ${r.previousDate}: ${c.ok} unchanged within noise, ${c.improved} improved, ${c.regressed} regressed, ${c.failed} failed, ${c.missing} missing, ${c.new} new`,
    '',
  );
  const failing = r.rows.filter(isFailing);
  out.push(
    failing.length
      ? `## Needs attention (${failing.length})\n\n${mdTable(failing)}\n`
      : '## Needs attention\n\nNothing regressed.\n',
  );
  const improved = r.rows.filter((x) => x.verdict === 'improved');
  if (improved.length) out.push(`## Improved (${improved.length})\n\n${mdTable(improved)}\n`);
  return out.join('\n');
}
