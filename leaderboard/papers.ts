/**
 * @module The papers beside a task's board: for a protocol suite's task, the published numbers matched by
 * protocol, target dataset and method id next to ours (mean over seeds), the gap and whether our 95%
 * interval holds the reported value; and, on any task where a claim's methods ran with several seeds, the
 * claim judged from per-seed paired differences (`judgeClaim`). Ours are per arm, a method with one config
 * (the board's rows): two configs of a method are never averaged or paired together. Plain data: no tensor
 * code is imported.
 */
import { z } from 'zod';
import type { CellWithMetrics, Store } from '../results/store.ts';
import { protocolOfSuite } from '../harness/protocol/paper-suites.ts';
import {
  CLAIMS,
  formatCitation,
  judgeClaim,
  MISSING_TABLES,
  PAPER_METRICS,
  PAPERS,
  PUBLISHED_RESULTS,
  type Claim,
  type PaperMetric,
  type PublishedResult,
} from '../harness/protocol/papers/index.ts';
import { tTwoSidedQuantile } from '../harness/foundation/util/student-t.ts';
import { configHashOf, configOf } from './read/cell-facts.ts';

const Num = z.number();
const Interval = z.object({ low: Num, high: Num, basis: z.enum(['seeds', 'wilson']) });

/** A method with one config, on the site: its id, the config's hash and a label telling its configs apart. */
const ArmSchema = z.object({
  methodId: z.string(),
  configHash: z.string(),
  /** The method id, plus `[config <hash>: <keys that differ>]` when the task ran several of its configs. */
  label: z.string(),
});

export const ReportedRowSchema = z.object({
  methodId: z.string(),
  /** Which of the method's configs was measured (one row per config and published number). */
  arm: ArmSchema,
  metric: z.enum(PAPER_METRICS),
  /** Ours: mean over completed seeds, as a fraction; null when the method has no such metric here. */
  measured: z.object({ mean: Num, seeds: z.number().int(), interval: Interval.nullable() }).nullable(),
  /** The paper's number, as a fraction (the paper prints percent). */
  reported: Num,
  /** measured - reported, as a fraction (shown in percentage points). */
  gap: Num.nullable(),
  /** Whether our 95% interval contains the reported value (null: no interval). */
  contains: z.boolean().nullable(),
  paper: z.string(),
  table: z.string(),
  citation: z.string(),
  printedMethod: z.string(),
  printedSource: z.string(),
  config: z.record(z.string(), z.union([z.number(), z.string()])).nullable(),
  note: z.string().nullable(),
});

const ComparisonViewSchema = z.object({
  better: z.string(),
  than: z.string(),
  betterLabel: z.string(),
  thanLabel: z.string(),
  metric: z.string(),
  direction: z.string(),
  margin: z.number().nullable(),
  seeds: z.array(z.number().int()),
  diffs: z.array(Num),
  mean: Num.nullable(),
  ciLow: Num.nullable(),
  ciHigh: Num.nullable(),
  verdict: z.enum(['supported', 'contradicted', 'inconclusive']),
  reason: z.string(),
});

export const ClaimViewSchema = z.object({
  id: z.string(),
  protocol: z.string(),
  paper: z.string(),
  statement: z.string(),
  citation: z.string(),
  verdict: z.enum(['supported', 'contradicted', 'inconclusive']),
  reason: z.string(),
  /**
   * The config each named method was judged with: one view per combination when a method ran several
   * configs here (each config its own arm; seeds are never paired across configs).
   */
  arms: z.array(ArmSchema),
  /** Differences are in percentage points, better minus than, paired by seed. */
  comparisons: z.array(ComparisonViewSchema),
});

export const PapersSchema = z.object({
  taskId: z.string(),
  tier: z.string().nullable(),
  /** The protocol whose published numbers apply (from the task's suites), or null. */
  protocol: z.string().nullable(),
  reported: z.array(ReportedRowSchema),
  claims: z.array(ClaimViewSchema),
  /** Tables of the protocol we could not read (so no reported numbers from them). */
  missingTables: z.array(z.string()),
});
export type ReportedRow = z.infer<typeof ReportedRowSchema>;
export type ClaimView = z.infer<typeof ClaimViewSchema>;
export type ArmView = z.infer<typeof ArmSchema>;
export type Papers = z.infer<typeof PapersSchema>;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** The dataset a printed source names (`CIFAR-100, AT + FDM` -> cifar100), for telling CARTL's pairs apart. */
function printedSourceDataset(r: PublishedResult): string | undefined {
  const m = /^(CIFAR-100|CIFAR-10|GTSRB|SVHN)\b/.exec(r.source);
  return m ? m[1].toLowerCase().replace('-', '') : undefined;
}

interface TaskFacts {
  target: string;
  sourceDataset?: string;
  sourceRecipe?: string;
  fdmLambda?: number;
}

function taskFacts(cell: CellWithMetrics): TaskFacts | undefined {
  const task = isObject(cell.spec) ? cell.spec.task : undefined;
  if (!isObject(task) || typeof task.target !== 'string') return undefined;
  const src = isObject(task.source) ? task.source : {};
  const fdm = isObject(src.fdm) ? src.fdm : {};
  return {
    target: task.target,
    sourceDataset: typeof src.dataset === 'string' ? src.dataset.replace(/\[[^\]]*\]$/, '') : undefined,
    sourceRecipe: typeof src.recipe === 'string' ? src.recipe : undefined,
    fdmLambda: typeof fdm.lambda === 'number' ? fdm.lambda : undefined,
  };
}

/** Config keys of a published row must equal the method's config (lambda: the FDM source's) where we know them. */
function configMatches(r: PublishedResult, methodConfig: Json, facts: TaskFacts): boolean {
  for (const [k, v] of Object.entries(r.config ?? {})) {
    const ours = k === 'lambda' ? facts.fdmLambda : methodConfig[k];
    if (ours !== undefined && ours !== v) return false;
  }
  return true;
}

/** Published rows for one method and metric of this task, narrowed by source where the papers print several. */
function matchPublished(
  protocol: string,
  facts: TaskFacts,
  methodId: string,
  metric: PaperMetric,
  config: Json,
): PublishedResult[] {
  let rows = PUBLISHED_RESULTS.filter(
    (r) =>
      r.protocol === protocol &&
      r.datasetId === facts.target &&
      r.methodId === methodId &&
      r.metric === metric &&
      configMatches(r, config, facts),
  );
  if (new Set(rows.map((r) => r.source)).size > 1 && facts.sourceDataset) {
    const same = rows.filter((r) => printedSourceDataset(r) === facts.sourceDataset);
    if (same.length) rows = same;
    const fdm = facts.sourceRecipe === 'at-fdm';
    const byFdm = rows.filter((r) => /FDM/.test(r.source) === fdm);
    if (byFdm.length && new Set(rows.map((r) => /FDM/.test(r.source))).size > 1) rows = byFdm;
  }
  return rows;
}

/** Our value for a metric over seeds: t interval over seeds with 2 or more, the cell's Wilson interval with one. */
function measuredOf(cells: readonly CellWithMetrics[], metric: string): ReportedRow['measured'] {
  const rows = cells.flatMap((c) => c.metrics.filter((m) => m.name === metric));
  if (!rows.length) return null;
  const values = rows.map((m) => m.value);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) {
    const m = rows[0];
    const interval =
      m.ciLow !== null && m.ciHigh !== null ? { low: m.ciLow, high: m.ciHigh, basis: 'wilson' as const } : null;
    return { mean, seeds: 1, interval };
  }
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  const half = (tTwoSidedQuantile(0.95, values.length - 1) * sd) / Math.sqrt(values.length);
  return { mean, seeds: values.length, interval: { low: mean - half, high: mean + half, basis: 'seeds' } };
}

/** The cells of one method with one config: seeds pair within an arm, never across two configs. */
interface Arm extends ArmView {
  cells: CellWithMetrics[];
}

const armOf = ({ methodId, configHash, label }: Arm): ArmView => ({ methodId, configHash, label });

/** `lr 0.05, lambda 1`: a config's values at the keys where its method's configs differ. */
function differingValues(config: Json, others: readonly Json[]): string {
  const keys = [...new Set(others.flatMap((c) => Object.keys(c)))].sort();
  const text = (v: unknown) => (v === undefined ? 'unset' : typeof v === 'string' ? v : JSON.stringify(v));
  const differs = (k: string) => new Set(others.map((c) => JSON.stringify(c[k] ?? null))).size > 1;
  return keys
    .filter(differs)
    .map((k) => `${k} ${text(config[k])}`)
    .join(', ');
}

/**
 * A task's cells grouped by (method id, config hash) as the board groups its rows; a method with several
 * configs gets labels that tell them apart (`twins-at [config 1a2b3c4d: lr 0.05]`). Sorted by method, label.
 */
function armsOf(cells: readonly CellWithMetrics[]): Arm[] {
  const groups = new Map<string, CellWithMetrics[]>();
  for (const c of cells) {
    const key = `${c.methodId}\u0000${configHashOf(c)}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const arms = [...groups].map(([key, group]): Arm => {
    const [methodId, configHash] = key.split('\u0000');
    return { methodId, configHash, label: methodId, cells: group };
  });
  for (const arm of arms) {
    const siblings = arms.filter((a) => a.methodId === arm.methodId);
    if (siblings.length < 2) continue;
    const differs = differingValues(
      configOf(arm.cells[0]),
      siblings.map((a) => configOf(a.cells[0])),
    );
    arm.label = `${arm.methodId} [config ${arm.configHash}${differs ? `: ${differs}` : ''}]`;
  }
  return arms.sort((a, b) => a.methodId.localeCompare(b.methodId) || a.label.localeCompare(b.label));
}

function reportedRows(protocol: string, cells: readonly CellWithMetrics[]): ReportedRow[] {
  const out: ReportedRow[] = [];
  const facts = cells.map(taskFacts).find((f) => f);
  if (!facts) return out;
  for (const arm of armsOf(cells)) {
    const { methodId, cells: group } = arm;
    for (const metric of PAPER_METRICS) {
      for (const r of matchPublished(protocol, facts, methodId, metric, configOf(group[0]))) {
        const measured = measuredOf(group, metric);
        const reported = r.value / 100;
        const iv = measured?.interval;
        out.push({
          methodId,
          arm: armOf(arm),
          metric,
          measured,
          reported,
          gap: measured ? measured.mean - reported : null,
          contains: iv ? iv.low <= reported && reported <= iv.high : null,
          paper: `${PAPERS[r.paper].title} (${PAPERS[r.paper].venue})`,
          table: r.table,
          citation: formatCitation(r.citation),
          printedMethod: r.method,
          printedSource: r.source,
          config: r.config ?? null,
          note: r.note ?? null,
        });
      }
    }
  }
  return out;
}

/** Per-seed values of an arm's metric. */
function bySeed(arm: Arm, metric: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const c of arm.cells) {
    const m = c.metrics.find((x) => x.name === metric);
    if (m && !out.has(c.seed)) out.set(c.seed, m.value);
  }
  return out;
}

const seedsOf = (arm: Arm) => new Set(arm.cells.map((c) => c.seed)).size;

/** Every way of picking one option from each list. */
function combinations<T>(choices: readonly (readonly T[])[]): T[][] {
  return choices.reduce<T[][]>((acc, options) => acc.flatMap((pre) => options.map((o) => [...pre, o])), [[]]);
}

/**
 * A claim applies to a task where every method it names completed on at least two seeds with one config (an
 * arm). A method with several such configs is judged once per config: one view per combination of arms.
 */
function claimViews(claim: Claim, arms: readonly Arm[]): ClaimView[] {
  const ids = [...new Set(claim.comparisons.flatMap((c) => [c.better, c.than]))];
  const choices = ids.map((id) => arms.filter((a) => a.methodId === id && seedsOf(a) >= 2));
  if (choices.some((c) => !c.length)) return [];
  return combinations(choices).map((picked) => claimView(claim, new Map(picked.map((a) => [a.methodId, a]))));
}

function claimView(claim: Claim, arms: ReadonlyMap<string, Arm>): ClaimView {
  const paired = claim.comparisons.map((c) => {
    const a = bySeed(arms.get(c.better)!, c.metric);
    const b = bySeed(arms.get(c.than)!, c.metric);
    const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
    return { seeds, diffs: seeds.map((s) => (a.get(s)! - b.get(s)!) * 100) };
  });
  const j = judgeClaim(
    claim,
    paired.map((p) => p.diffs),
  );
  return {
    id: claim.id,
    protocol: claim.protocol,
    paper: `${PAPERS[claim.paper].title} (${PAPERS[claim.paper].venue})`,
    statement: claim.statement,
    citation: formatCitation(claim.citation),
    verdict: j.verdict,
    reason: j.reason,
    arms: [...arms.values()].map(armOf),
    comparisons: j.comparisons.map((c, i) => ({
      better: c.comparison.better,
      than: c.comparison.than,
      betterLabel: arms.get(c.comparison.better)!.label,
      thanLabel: arms.get(c.comparison.than)!.label,
      metric: c.comparison.metric,
      direction: c.comparison.direction,
      margin: c.comparison.margin ?? null,
      seeds: paired[i].seeds,
      diffs: paired[i].diffs,
      mean: c.mean,
      ciLow: c.ciLow,
      ciHigh: c.ciHigh,
      verdict: c.verdict,
      reason: c.reason,
    })),
  };
}

/** The papers' side of a task's board (one tier); empty lists when nothing applies. */
export function papersFor(store: Store, taskId: string, tier: string | null): Papers {
  const cells = store.queryCells(
    { taskId, status: 'completed', ...(tier ? { tier } : {}) },
    { metrics: [...PAPER_METRICS] },
  );
  const protocols = [...new Set(cells.map((c) => protocolOfSuite(c.suite)).filter((p) => p !== undefined))].sort();
  const protocol = protocols[0] ?? null;
  const arms = armsOf(cells);
  return {
    taskId,
    tier,
    protocol,
    reported: protocol ? reportedRows(protocol, cells) : [],
    claims: CLAIMS.flatMap((c) => claimViews(c, arms)),
    missingTables: protocol
      ? MISSING_TABLES.filter((t) => t.protocol === protocol).map((t) => `${t.table}: ${t.why}`)
      : [],
  };
}
