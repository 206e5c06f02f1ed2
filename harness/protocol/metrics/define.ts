/**
 * @module A metric plug-in: the names it stores, the zod schema of each one's `details`, its board column, and a
 * loader for its runner. Plain data with no tensor code, so the site reads the columns without loading tfjs;
 * the runner (harness/orchestration/evaluate/metrics/) is imported only when an evaluation runs.
 */
import type { z } from 'zod';
import type { MetricRunner } from '../../orchestration/evaluate/metric-runner.ts';

/** A column of a task's leaderboard: one metric's mean ± std over seeds. */
export interface MetricColumn {
  readonly label: string;
  /** Tooltip of the column header. */
  readonly title?: string;
  /** Place among the metric columns, lowest first (clean 10, pgd 20, autoattack 30, corruption 40). */
  readonly order: number;
  /** Sort direction when the column is first clicked (default: descending, higher is better). */
  readonly dir?: 'asc' | 'desc';
}

export interface MetricDefinition {
  /**
   * The stored name, or a family of names when it ends in `/` (`autoattack/` for `autoattack/apgd-ce`), or `*`:
   * whatever name the plug-in's runner gives (an attack's own id), for its own metrics only.
   */
  readonly name: string;
  /** How pages name it ('Clean (no attack)'); its board column may have a shorter label. */
  readonly label: string;
  /** A family's (`autoattack/`): how pages name one member, listed under the family ('after APGD-CE'). */
  readonly memberLabel?: (member: string) => string;
  /** What its `details` hold; checked when the metric is computed. */
  readonly details: z.ZodType<Record<string, unknown>>;
  /** Shown as a column of the task leaderboard (absent: on the cell page only). */
  readonly column?: MetricColumn;
}

export interface MetricPlugin {
  readonly id: string;
  readonly metrics: readonly MetricDefinition[];
  /** Metrics of other plug-ins its runner computes too (PGD's batches score `clean`). */
  readonly alsoComputes?: readonly string[];
  /** Its runner, loaded when an evaluation runs (none: the metric is computed by another plug-in's runner). */
  readonly runner?: () => Promise<MetricRunner>;
}

export function defineMetricPlugin(p: MetricPlugin): MetricPlugin {
  return p;
}
