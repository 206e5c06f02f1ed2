/** @module How the site orders and anchors what it shows: tiers, metric names, the baseline method. */

/** The method every entry's robustness gain is measured against. */
export const BASELINE_METHOD = 'at';
/** When a task has several tiers, its page shows the most thorough by default. */
export const TIER_ORDER = ['standard', 'quick', 'smoke'];
export const AUTOATTACK_COMPONENTS = ['apgd-ce', 'apgd-t', 'fab-t', 'square'];

/** A tier's place in TIER_ORDER; unknown tiers last. */
export function rankTier(t: string): number {
  const i = TIER_ORDER.indexOf(t);
  return i < 0 ? TIER_ORDER.length : i;
}

const METRIC_ORDER = ['clean', 'pgd', 'autoattack', ...AUTOATTACK_COMPONENTS.map((c) => `autoattack/${c}`), 'corruption'];

/** Headline metrics in protocol order, then the rest by name. */
export function compareMetricNames(a: string, b: string): number {
  const ia = METRIC_ORDER.indexOf(a);
  const ib = METRIC_ORDER.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return a.localeCompare(b);
}
