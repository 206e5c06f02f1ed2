/**
 * @module The results schema (drizzle, SQLite). The harness writes, the leaderboard reads.
 * A cell is one (task, method, seed) under one protocol; its id is a hash of everything that defines
 * it, so a protocol change makes new cells instead of mixing results. A cell row and its metrics are
 * written in one transaction, only when the cell has ended (completed or failed).
 */
import { sqliteTable, text, integer, real, primaryKey, index } from 'drizzle-orm/sqlite-core';

/** One invocation of `rftbench run` (or nightly, gate, submit). */
export const runs = sqliteTable('runs', {
  id: text('id').primaryKey(),
  suite: text('suite').notNull(),
  tier: text('tier').notNull(),
  command: text('command').notNull(),
  startedAt: integer('started_at').notNull(),
  finishedAt: integer('finished_at'),
  status: text('status', { enum: ['running', 'completed', 'interrupted'] }).notNull(),
  /** git commit of the harness, `unknown` outside a checkout; `+dirty` when the tree had changes. */
  commit: text('commit').notNull(),
  backend: text('backend').notNull(),
  /** Package and runtime versions, threads, host: JSON. */
  environment: text('environment', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});

export const cells = sqliteTable(
  'cells',
  {
    /** Hash of the cell's defining spec (task, method + config, seed, tier protocol, source recipe). */
    id: text('id').primaryKey(),
    suite: text('suite').notNull(),
    tier: text('tier').notNull(),
    taskId: text('task_id').notNull(),
    methodId: text('method_id').notNull(),
    seed: integer('seed').notNull(),
    status: text('status', { enum: ['completed', 'failed'] }).notNull(),
    /** Why a failed cell failed ("diverged at epoch 2, step 14"). */
    error: text('error'),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id),
    /** The full defining spec as JSON, so a cell can be re-run from its record alone. */
    spec: text('spec', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** commit, backend, versions, threads, dataset version, source model hash: JSON. */
    provenance: text('provenance', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** Training curves, per-module criticality, chosen alpha…: JSON. */
    artifacts: text('artifacts', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    startedAt: integer('started_at').notNull(),
    finishedAt: integer('finished_at').notNull(),
    trainSeconds: real('train_seconds').notNull(),
    evalSeconds: real('eval_seconds').notNull(),
    /** `measured` by our harness, `self-reported` until a nightly re-run verifies a submission. */
    verification: text('verification', { enum: ['measured', 'self-reported'] })
      .notNull()
      .default('measured'),
  },
  (t) => [index('cells_task_method').on(t.taskId, t.methodId), index('cells_suite').on(t.suite)],
);

/** One number per (cell, metric): clean, pgd20, autoattack, corruption, … as accuracies in [0,1]. */
export const metrics = sqliteTable(
  'metrics',
  {
    cellId: text('cell_id')
      .notNull()
      .references(() => cells.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    value: real('value').notNull(),
    /** Number of test points behind the value. */
    n: integer('n').notNull(),
    /** 95% Wilson interval of an accuracy over n points. */
    ciLow: real('ci_low').notNull(),
    ciHigh: real('ci_high').notNull(),
    /** Attack config, largest perturbation, NaN count, sanity flags…: JSON. */
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.cellId, t.name] })],
);

/** Cached adversarially pre-trained source models, with their recipe and measured robustness. */
export const sources = sqliteTable('sources', {
  /** Hash of the recipe; also the checkpoint's file name. */
  id: text('id').primaryKey(),
  recipe: text('recipe', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  path: text('path').notNull(),
  sha256: text('sha256').notNull(),
  cleanAcc: real('clean_acc'),
  robustAcc: real('robust_acc'),
  provenance: text('provenance', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  createdAt: integer('created_at').notNull(),
});

/**
 * The fine-tuned model of a completed cell (`rftbench run --keep-models all`), content-addressed:
 * `<data>/models/<sha256>.safetensors`. Written in the cell's transaction.
 */
export const models = sqliteTable('models', {
  cellId: text('cell_id')
    .primaryKey()
    .references(() => cells.id, { onDelete: 'cascade' }),
  sha256: text('sha256').notNull(),
  path: text('path').notNull(),
  bytes: integer('bytes').notNull(),
  /** Why the zoo cannot rebuild this model from its spec (a method changed the architecture); null when it can. */
  unloadable: text('unloadable'),
  createdAt: integer('created_at').notNull(),
});

/** Re-evaluations of a kept cell model (`rftbench eval --cell`), shown beside the cell's own numbers. */
export const evaluations = sqliteTable(
  'evaluations',
  {
    id: text('id').primaryKey(),
    cellId: text('cell_id')
      .notNull()
      .references(() => cells.id, { onDelete: 'cascade' }),
    /** `protocol` (the cell's whole tier evaluation), `clean`, `pgd`, `autoattack:plus`, … */
    attack: text('attack').notNull(),
    /** Threat, n, batch size, seed: JSON. */
    settings: text('settings', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** The metrics, as the cell's (name, value, n, ciLow, ciHigh, details): JSON array. */
    metrics: text('metrics', { mode: 'json' }).$type<EvaluationMetric[]>().notNull(),
    /** sha256 of the model file evaluated (checked against `models` first). */
    modelSha256: text('model_sha256').notNull(),
    provenance: text('provenance', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('evaluations_cell').on(t.cellId)],
);

/**
 * The cells being computed right now, one row per cell: two `rftbench run` processes on one store each take
 * a cell only by claiming it (in a BEGIN IMMEDIATE transaction), so no cell is computed twice. A claim whose
 * process is gone (same host) or whose heartbeat is too old is taken over; the row goes with the cell's record.
 */
export const claims = sqliteTable('claims', {
  cellId: text('cell_id').primaryKey(),
  runId: text('run_id')
    .notNull()
    .references(() => runs.id),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  claimedAt: integer('claimed_at').notNull(),
  /** Refreshed while the cell runs; a claim not refreshed for the expiry (default 10 minutes) is stale. */
  heartbeatAt: integer('heartbeat_at').notNull(),
});

/** A metric of one measurement: its value, the points behind it and the 95% interval. */
export interface MeasuredMetric {
  value: number;
  n: number;
  ciLow: number;
  ciHigh: number;
}

/**
 * Every measurement of every cell over time (the `cells` row is the latest of them): which run and night made it,
 * with which commit, code hash (`harness/orchestration/run/code-identity.ts`) and backend, and its numbers. Appended in the
 * transaction that writes the cell; never updated. Id: `<cell id>:<run id>` (a run measures a cell once).
 */
export const measurements = sqliteTable(
  'measurements',
  {
    id: text('id').primaryKey(),
    cellId: text('cell_id').notNull(),
    runId: text('run_id').notNull(),
    /** The night (YYYY-MM-DD, UTC) the measurement belongs to: `nightly --date`, else the day it finished. */
    night: text('night').notNull(),
    commit: text('commit').notNull(),
    /** Null for records written before code identity existed. */
    codeHash: text('code_hash'),
    backend: text('backend').notNull(),
    status: text('status', { enum: ['completed', 'failed'] }).notNull(),
    error: text('error'),
    verification: text('verification', { enum: ['measured', 'self-reported'] }).notNull(),
    /** Metric name → value, n, 95% interval: JSON. */
    metrics: text('metrics', { mode: 'json' }).$type<Record<string, MeasuredMetric>>().notNull(),
    recordedAt: integer('recorded_at').notNull(),
  },
  (t) => [index('measurements_cell').on(t.cellId, t.recordedAt), index('measurements_night').on(t.night)],
);

/**
 * The code of a submitted entry (`POST /api/submit`), so a nightly can re-measure it without the entry being
 * committed anywhere: the files of its local-import walk outside the harness, each with its sha256.
 */
export const submissions = sqliteTable('submissions', {
  /** The submission's run id (its self-reported cells carry it). */
  runId: text('run_id').primaryKey(),
  entryId: text('entry_id').notNull(),
  entrySha256: text('entry_sha256').notNull(),
  /** The files' layout and contents: `{ repo, entry, files: [{ path, sha256, bytes, text }] }`. */
  sources: text('sources', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  /** The suite the bundle ran (its cell ids are re-derived from it). */
  suite: text('suite', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  createdAt: integer('created_at').notNull(),
});

/**
 * What the site shows about a method, written by the harness (the runner, for the methods of each suite it starts;
 * a submission, for its entry) so the site reads it from here and never loads the method code. A store written
 * before this table shows a method by its id.
 */
export const methods = sqliteTable('methods', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  description: text('description'),
  paper: text('paper', { mode: 'json' }).$type<{ title: string; url: string; venue?: string }>(),
  /** JSON Schema (input side) of the entry's config; null when zod cannot express it. */
  configSchema: text('config_schema', { mode: 'json' }).$type<Record<string, unknown>>(),
  /** The config an empty object parses to; null when the config has required options. */
  defaults: text('defaults', { mode: 'json' }).$type<Record<string, unknown>>(),
  /** `registry` (a run of this checkout's entry) or `submission` (a submitted entry, not in the registry). */
  origin: text('origin', { enum: ['registry', 'submission'] }).notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** A re-evaluation's metric: a metrics row without its cell. */
export type EvaluationMetric = Omit<typeof metrics.$inferSelect, 'cellId'>;

export type RunRow = typeof runs.$inferSelect;
export type CellRow = typeof cells.$inferSelect;
export type MetricRow = typeof metrics.$inferSelect;
export type SourceRow = typeof sources.$inferSelect;
export type ModelRow = typeof models.$inferSelect;
export type EvaluationRow = typeof evaluations.$inferSelect;
export type ClaimRow = typeof claims.$inferSelect;
export type MeasurementRow = typeof measurements.$inferSelect;
export type SubmissionRow = typeof submissions.$inferSelect;
export type MethodInfoRow = typeof methods.$inferSelect;
