/**
 * @module The metric plug-ins, in the order an evaluation runs them (PGD before AutoAttack, which compares
 * with PGD's points). A new metric is a definition file here and a runner in harness/orchestration/evaluate/metrics/, with
 * one line below; `registerMetricPlugin` adds one at run time (a test's, an experiment's).
 */
import { COMPONENTS } from '../components.ts';
import attack from './attack.ts';
import autoattack from './autoattack.ts';
import clean from './clean.ts';
import corruption from './corruption.ts';
import type { MetricColumn, MetricDefinition, MetricPlugin } from './define.ts';
import pgd from './pgd.ts';

const PLUGINS: MetricPlugin[] = [clean, pgd, attack, autoattack, corruption];

export function metricPlugins(): readonly MetricPlugin[] {
  return PLUGINS;
}

/** Adds a plug-in after the built-in ones; its metric names must be new. */
export function registerMetricPlugin(plugin: MetricPlugin): void {
  if (PLUGINS.some((p) => p.id === plugin.id)) throw new Error(`metric plug-in '${plugin.id}' is already registered`);
  for (const m of plugin.metrics) {
    const taken = metricDefinition(m.name);
    if (taken)
      throw new Error(`metric plug-in '${plugin.id}': metric '${m.name}' is already defined ('${taken.name}')`);
  }
  PLUGINS.push(plugin);
}

/** Removes a plug-in added with registerMetricPlugin (tests clean up after themselves). */
export function unregisterMetricPlugin(id: string): void {
  const i = PLUGINS.findIndex((p) => p.id === id);
  if (i >= 0) PLUGINS.splice(i, 1);
}

/** The definition of a stored metric name: its own, or its family's (`autoattack/apgd-ce` → `autoattack/`). */
export function metricDefinition(
  name: string,
  among: readonly MetricDefinition[] = PLUGINS.flatMap((p) => p.metrics),
): MetricDefinition | undefined {
  return among.find((m) => m.name === name) ?? among.find((m) => m.name.endsWith('/') && name.startsWith(m.name));
}

/**
 * A metric's details checked against the schema of the plug-in that computed it (a `*` definition covers the
 * names its runner picks, an attack's own id), or of the plug-in defining a name it `alsoComputes` (`clean`);
 * the error names the metric and each bad field.
 */
export function checkMetricDetails(name: string, details: Record<string, unknown>, by?: MetricPlugin): void {
  const shared = !by || by.alsoComputes?.includes(name);
  const own = by && (metricDefinition(name, by.metrics) ?? by.metrics.find((m) => m.name === '*'));
  const definition = shared ? metricDefinition(name) : own;
  const r = definition?.details.safeParse(details);
  if (!r || r.success) return;
  throw new Error(
    `metric '${name}': invalid details\n${r.error.issues.map((i) => `  details.${i.path.join('.')}: ${i.message}`).join('\n')}`,
  );
}

export interface BoardColumn extends MetricColumn {
  /** The metric's stored name. */
  readonly name: string;
}

/** The task leaderboard's metric columns, in their order. */
export function boardColumns(): BoardColumn[] {
  const columns = PLUGINS.flatMap((p) => p.metrics.flatMap((m) => (m.column ? [{ ...m.column, name: m.name }] : [])));
  return columns.sort((a, b) => a.order - b.order);
}

export const boardMetricNames = (): string[] => boardColumns().map((c) => c.name);

/** Stored metric names in the order pages list them: board columns, AutoAttack's components after its number. */
export function metricOrder(): string[] {
  return boardMetricNames().flatMap((n) =>
    n === 'autoattack' ? [n, ...COMPONENTS.map((c) => `autoattack/${c}`)] : [n],
  );
}

/** How pages label a stored metric name: `Clean (no attack)`, a family's member `AutoAttack: after APGD-CE`. */
export function metricLabel(name: string): string {
  const d = metricDefinition(name);
  if (!d) return name;
  return d.name.endsWith('/') ? `${d.label}: ${memberLabel(name)}` : d.label;
}

/** A family member's own label (`after APGD-CE` for `autoattack/apgd-ce`), shown under its family; else undefined. */
export function memberLabel(name: string): string | undefined {
  const d = metricDefinition(name);
  if (!d?.name.endsWith('/')) return undefined;
  const member = name.slice(d.name.length);
  return d.memberLabel?.(member) ?? member;
}

/** A board column's short label (`AutoAttack`), else the metric's label: table headers, the ranking metric. */
export function columnLabel(name: string): string {
  return metricDefinition(name)?.column?.label ?? metricLabel(name);
}

export type { MetricColumn, MetricDefinition, MetricPlugin };
