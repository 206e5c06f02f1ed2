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
    runId: text('run_id').notNull().references(() => runs.id),
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
    verification: text('verification', { enum: ['measured', 'self-reported'] }).notNull().default('measured'),
  },
  (t) => [index('cells_task_method').on(t.taskId, t.methodId), index('cells_suite').on(t.suite)],
);

/** One number per (cell, metric): clean, pgd20, autoattack, corruption, … as accuracies in [0,1]. */
export const metrics = sqliteTable(
  'metrics',
  {
    cellId: text('cell_id').notNull().references(() => cells.id, { onDelete: 'cascade' }),
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

export type RunRow = typeof runs.$inferSelect;
export type CellRow = typeof cells.$inferSelect;
export type MetricRow = typeof metrics.$inferSelect;
export type SourceRow = typeof sources.$inferSelect;
