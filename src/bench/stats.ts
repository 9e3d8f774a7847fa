// Summaries of repeated timings. Medians and high quantiles, not means: on a shared 2-core machine a
// few runs land behind another process's burst, and the median is what a user will see most of the time.
import { max, min, quantileSorted } from 'simple-statistics';

export interface Summary {
  count: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}

/** Median, p99, min and max of `values` (unit kept by the caller's field name); null when empty. */
export function summarize(values: readonly number[]): Summary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, median: quantileSorted(sorted, 0.5), p99: quantileSorted(sorted, 0.99), min: min(sorted), max: max(sorted) };
}

