/**
 * @module Zod schemas of the site's query parameters and of every JSON body the API returns. The
 * types the data layer builds are inferred from these, so the OpenAPI document and the code agree.
 */
import { z } from 'zod';
import { boardMetricNames } from '../harness/protocol/metrics/registry.ts';
import { ThreatSchema } from '../harness/protocol/threat.ts';

// ---- Query parameters ----

/** The board's own columns; the metric columns come from the metric plug-ins (boardMetricNames). */
export const FIXED_SORT_COLUMNS = ['rank', 'method', 'gain', 'cost', 'seeds'] as const;
export const sortColumns = (): string[] => [
  ...FIXED_SORT_COLUMNS.slice(0, 2),
  ...boardMetricNames(),
  ...FIXED_SORT_COLUMNS.slice(2),
];
export const SortColumnSchema = z
  .string()
  .superRefine((v, ctx) => {
    const known = sortColumns();
    if (!known.includes(v))
      ctx.addIssue({
        code: 'custom',
        message: `Invalid option: expected one of ${known.map((c) => `"${c}"`).join('|')}`,
      });
  })
  .meta({ enum: sortColumns() });
export const DirSchema = z.enum(['asc', 'desc']);
export const TierIdSchema = z.enum(['smoke', 'quick', 'standard']);
export const FormatSchema = z
  .enum(['json', 'csv'])
  .default('json')
  .meta({ description: '`csv` for a CSV table instead of JSON' });

export const TaskQuerySchema = z.object({
  sort: SortColumnSchema.default('rank').meta({ description: 'column to sort by' }),
  dir: DirSchema.optional().meta({
    description: 'sort direction; default: ascending for rank and method, descending otherwise',
  }),
  tier: TierIdSchema.optional().meta({ description: 'tier to show; default: the most thorough tier the task has' }),
});

/** A cell id or a method id. */
const Ref = z.string().trim().min(1).max(200);
export const CompareQuerySchema = z.object({
  a: Ref.meta({ description: 'a cell id or a method id' }),
  b: Ref.meta({ description: 'a cell id or a method id' }),
});

// ---- Response bodies ----

export { ThreatSchema };

export const SeedValueSchema = z.object({
  seed: z.number().int(),
  cellId: z.string(),
  value: z.number(),
  n: z.number().int(),
  ciLow: z.number(),
  ciHigh: z.number(),
});

/** One metric of a leaderboard row: mean and sample std over the completed seeds, with each seed's value. */
export const MetricStatSchema = z.object({
  mean: z.number(),
  std: z.number().nullable(),
  seeds: z.number().int(),
  values: z.array(SeedValueSchema),
});

/** The metrics a board row summarises: the metric plug-ins' board columns (clean, pgd, autoattack, corruption, …). */
export const summaryMetrics = (): string[] => boardMetricNames();
/** The built-in plug-ins' board metrics (as registered when this module loads). */
export const SUMMARY_METRICS: readonly string[] = boardMetricNames();

/** One entry per board column the row's cells have, keyed by metric name. */
export const RowMetricsSchema = z.record(z.string(), MetricStatSchema);

export const CostUnitSchema = z.enum(['CPU', 'GPU', 'mixed']);

export const BoardRowSchema = z.object({
  rank: z.number().int().nullable(),
  methodId: z.string(),
  title: z.string(),
  registered: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  /** Short hash of the config; rows of one method with different configs differ here. */
  configHash: z.string(),
  /** Set when a method has more than one config on the board. */
  variant: z.string().nullable(),
  metrics: RowMetricsSchema,
  robust: MetricStatSchema.nullable(),
  /** Robust-metric difference to the `at` baseline (accuracy, not percent). */
  gain: z.number().nullable(),
  cost: z.object({ hoursPerSeed: z.number(), totalHours: z.number(), unit: CostUnitSchema }).nullable(),
  seeds: z.array(z.number().int()),
  failed: z.array(z.object({ seed: z.number().int(), cellId: z.string(), error: z.string().nullable() })),
  cells: z.array(z.object({ id: z.string(), seed: z.number().int(), status: z.enum(['completed', 'failed']) })),
  flags: z.array(z.string()),
  verification: z.enum(['measured', 'self-reported']),
});

/** The model a task fine-tunes from: a recipe pre-trained by the harness, or a published checkpoint. */
export const TaskSourceInfoSchema = z.object({
  kind: z.enum(['recipe', 'external']),
  /** The source's id in the store (recipe hash, or hash of the checkpoint source), when a cell recorded it. */
  id: z.string().nullable(),
  arch: z.string(),
  /** Recipe: `fgsm-rs on fashion-mnist[0-4]`; published: its url or path. */
  origin: z.string(),
  catalog: z.string().nullable(),
  citation: z.string().nullable(),
  /** Of the published file (external) or of the cached checkpoint (recipe). */
  sha256: z.string().nullable(),
  /** Its own clean and PGD accuracy as measured here (null: not measured). */
  clean: z.number().nullable(),
  robust: z.number().nullable(),
  /** The publisher's numbers, for catalog checkpoints. */
  reported: z.object({ clean: z.number(), robust: z.number().optional(), attack: z.string().optional() }).nullable(),
});

export const BoardSchema = z.object({
  taskId: z.string(),
  tier: z.string(),
  tiers: z.array(z.string()),
  suites: z.array(z.string()),
  threat: ThreatSchema.nullable(),
  source: TaskSourceInfoSchema.nullable(),
  robustMetric: z.enum(['autoattack', 'pgd']),
  baseline: z.string().nullable(),
  sort: SortColumnSchema,
  dir: DirSchema,
  lastFinishedAt: z.number(),
  rows: z.array(BoardRowSchema),
});

export const TaskSummarySchema = z.object({
  taskId: z.string(),
  tier: z.string(),
  suites: z.array(z.string()),
  threat: ThreatSchema.nullable(),
  methods: z.number().int(),
  cells: z.number().int(),
  completed: z.number().int(),
  lastFinishedAt: z.number(),
  robustMetric: z.enum(['autoattack', 'pgd']),
  best: z
    .object({ methodId: z.string(), title: z.string(), robust: z.number(), clean: z.number().nullable() })
    .nullable(),
});
export const TasksSchema = z.object({ tasks: z.array(TaskSummarySchema) });

export const PaperSchema = z.object({ title: z.string(), url: z.string(), venue: z.string().optional() });

export const MethodSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  /** Whether the store describes the method (title, paper, config): a run or a submission wrote it. */
  registered: z.boolean(),
  paper: PaperSchema.nullable(),
  description: z.string().nullable(),
  tasks: z.number().int(),
  cells: z.number().int(),
});
export const MethodsSchema = z.object({ methods: z.array(MethodSummarySchema) });

export const MethodResultSchema = z.object({
  taskId: z.string(),
  tier: z.string(),
  robustMetric: z.enum(['autoattack', 'pgd']),
  of: z.number().int(),
  row: BoardRowSchema,
});

export const MethodDetailSchema = MethodSummarySchema.extend({
  configSchema: z.record(z.string(), z.unknown()).nullable(),
  defaults: z.record(z.string(), z.unknown()).nullable(),
  results: z.array(MethodResultSchema),
});

export const MetricSchema = z.object({
  name: z.string(),
  value: z.number(),
  n: z.number().int(),
  ciLow: z.number(),
  ciHigh: z.number(),
  details: z.record(z.string(), z.unknown()),
});

/** A cell's kept fine-tuned model: what the page shows and where to download it. */
export const CellModelSchema = z.object({
  sha256: z.string(),
  bytes: z.number().int(),
  /** `GET` this path for the safetensors file. */
  url: z.string(),
  /** Why the zoo cannot rebuild the model from its spec, or null. */
  unloadable: z.string().nullable(),
  createdAt: z.number(),
});

/** A re-evaluation of the kept model (`rftbench eval --cell`). */
export const CellEvaluationSchema = z.object({
  id: z.string(),
  attack: z.string(),
  settings: z.record(z.string(), z.unknown()),
  metrics: z.array(MetricSchema),
  modelSha256: z.string(),
  provenance: z.record(z.string(), z.unknown()),
  createdAt: z.number(),
});

export const CellDetailSchema = z.object({
  id: z.string(),
  suite: z.string(),
  tier: z.string(),
  taskId: z.string(),
  methodId: z.string(),
  methodTitle: z.string(),
  seed: z.number().int(),
  status: z.enum(['completed', 'failed']),
  error: z.string().nullable(),
  runId: z.string(),
  verification: z.enum(['measured', 'self-reported']),
  startedAt: z.number(),
  finishedAt: z.number(),
  trainSeconds: z.number(),
  evalSeconds: z.number(),
  cost: z.object({ hours: z.number(), unit: z.enum(['CPU', 'GPU']) }),
  flags: z.array(z.string()),
  spec: z.record(z.string(), z.unknown()),
  provenance: z.record(z.string(), z.unknown()),
  artifacts: z.record(z.string(), z.unknown()),
  metrics: z.array(MetricSchema),
  /** The kept model, or null when the cell kept none. */
  model: CellModelSchema.nullable(),
  evaluations: z.array(CellEvaluationSchema),
});

export const CompareSideSchema = z.object({
  kind: z.enum(['cell', 'method']),
  id: z.string(),
  label: z.string(),
});

export const CompareRowSchema = z.object({
  taskId: z.string(),
  tier: z.string(),
  metric: z.string(),
  a: z.number().nullable(),
  aStd: z.number().nullable(),
  b: z.number().nullable(),
  bStd: z.number().nullable(),
  diff: z.number().nullable(),
});

export const CompareSchema = z.object({ a: CompareSideSchema, b: CompareSideSchema, rows: z.array(CompareRowSchema) });

export const ErrorSchema = z.object({
  error: z.string(),
  issues: z.array(z.object({ param: z.string(), message: z.string() })).optional(),
});

export type SortColumn = z.infer<typeof SortColumnSchema>;
export type Dir = z.infer<typeof DirSchema>;
export type MetricStat = z.infer<typeof MetricStatSchema>;
export type BoardRow = z.infer<typeof BoardRowSchema>;
export type Board = z.infer<typeof BoardSchema>;
export type TaskSourceInfo = z.infer<typeof TaskSourceInfoSchema>;
export type TaskSummary = z.infer<typeof TaskSummarySchema>;
export type MethodSummary = z.infer<typeof MethodSummarySchema>;
export type MethodDetail = z.infer<typeof MethodDetailSchema>;
export type CellDetail = z.infer<typeof CellDetailSchema>;
export type Compare = z.infer<typeof CompareSchema>;
export type CompareRow = z.infer<typeof CompareRowSchema>;
export type ErrorBody = z.infer<typeof ErrorSchema>;

/** Turns zod issues into `param: message` pairs, naming the query parameter at fault. */
export function issuesOf(error: z.ZodError): { param: string; message: string }[] {
  return error.issues.map((i) => ({ param: i.path.map(String).join('.') || '(query)', message: i.message }));
}

export function badRequestBody(error: z.ZodError, where = 'query parameter'): ErrorBody {
  const issues = issuesOf(error);
  return { error: issues.map((i) => `invalid ${where} '${i.param}': ${i.message}`).join('; '), issues };
}
