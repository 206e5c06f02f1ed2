/** @module How the site orders and anchors what it shows: tiers, metric names, the baseline method. */
import { metricOrder } from '../../harness/protocol/metrics/registry.ts';

/** The method every entry's robustness gain is measured against. */
export const BASELINE_METHOD = 'at';
/** When a task has several tiers, its page shows the most thorough by default. */
export const TIER_ORDER = ['standard', 'quick', 'smoke'];

/** A tier's place in TIER_ORDER; unknown tiers last. */
export function rankTier(t: string): number {
  const i = TIER_ORDER.indexOf(t);
  return i < 0 ? TIER_ORDER.length : i;
}

/** Headline metrics in protocol order (the metric plug-ins'), then the rest by name. */
export function compareMetricNames(a: string, b: string): number {
  const order = metricOrder();
  const ia = order.indexOf(a);
  const ib = order.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return a.localeCompare(b);
}
