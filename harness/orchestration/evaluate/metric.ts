/** @module One reported number: an accuracy on n points with its 95% Wilson interval and its details. */
import { wilsonInterval } from './wilson.ts';

export interface MetricValue {
  name: string;
  value: number;
  n: number;
  ciLow: number;
  ciHigh: number;
  details: Record<string, unknown>;
}

export function accuracyMetric(
  name: string,
  correct: number,
  n: number,
  details: Record<string, unknown> = {},
): MetricValue {
  const [ciLow, ciHigh] = wilsonInterval(correct, n);
  return { name, value: n ? correct / n : 0, n, ciLow, ciHigh, details: { correct, ...details } };
}
