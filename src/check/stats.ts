// Statistics across repeats (`rsslab run --repeat N`): per experiment × variant × metric the
// number of repeats, median, mean, standard deviation, min, max, and a 95% confidence interval
// for the MEAN, t-based (mean ± t₀.₉₇₅,ₙ₋₁ · s/√n). Why t and not a bootstrap: CI runs use 3–5
// repeats, where a bootstrap of the median can only return observed values and its interval is
// just [min, max]; the t interval is exact for normal noise and says honestly how wide 3 repeats are.
// Reads Run JSON only: the values are the stored VariantRun.metrics of every repeat that ran ok.
import { max, mean, median, min, sampleStandardDeviation } from 'simple-statistics';
import type { Run, VariantRun } from '../run/schema.js';
import { subjectKey } from '../run/subject.js';

export interface Stats {
  n: number;
  median: number;
  mean: number;
  /** sample standard deviation (n − 1); 0 for a single value */
  stddev: number;
  min: number;
  max: number;
  /** 95% t-based interval for the mean; null below 2 values (no spread to go on) */
  ci95: { low: number; high: number } | null;
}

/** Two-sided 95% quantiles of Student's t by degrees of freedom (1–30, then 40, 60, 120). */
const T975: Record<number, number> = {
  1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
  11: 2.201, 12: 2.179, 13: 2.16, 14: 2.145, 15: 2.131, 16: 2.12, 17: 2.11, 18: 2.101, 19: 2.093, 20: 2.086,
  21: 2.08, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.06, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
  40: 2.021, 60: 2.0, 120: 1.98,
};

/** t₀.₉₇₅ for `df` degrees of freedom; between table rows the smaller df's value (a slightly wider, safe interval). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be a whole number ≥ 1, got ${df}`);
  if (df > 120) return 1.96;
  let best = 1;
  for (const k of Object.keys(T975).map(Number)) if (k <= df && k > best) best = k;
  return T975[best]!;
}

/** Describe a list of values; throws RangeError on an empty list (there is nothing to describe). */
export function describeValues(values: number[]): Stats {
  if (values.length === 0) throw new RangeError('no values to describe');
  const n = values.length;
  const m = mean(values);
  const sd = n > 1 ? sampleStandardDeviation(values) : 0;
  const half = n > 1 ? tQuantile975(n - 1) * (sd / Math.sqrt(n)) : null;
  return { n, median: median(values), mean: m, stddev: sd, min: min(values), max: max(values), ci95: half === null ? null : { low: m - half, high: m + half } };
}

/**
 * The name a stored metric is compared and reported under: headline references as they are
 * ("region.main.rss@end:free"), derived figures as `metric.<name>` ("metric.regrowMs"), the form
 * expectations and headlines use for them.
 */
export function metricName(key: string): string {
  return key.includes('@') || key.startsWith('metric.') ? key : `metric.${key}`;
}

/** The repeats of one variant, each repeat's stored metrics. */
export interface VariantSeries {
  experimentId: string;
  variant: string;
  label: string;
  /** every repeat found, whatever its status */
  repeats: VariantRun[];
  /** metric name → values of the repeats that ran ok and have a number for it */
  values: Map<string, number[]>;
}

/**
 * Group the variant runs of one or more Runs by experiment × variant (several Run files of the same
 * experiment pool their repeats), keeping the first-seen order of experiments, variants and metrics.
 */
export function groupRepeats(runs: Run[]): VariantSeries[] {
  const byKey = new Map<string, VariantSeries>();
  for (const run of runs) {
    for (const v of run.variants) {
      // a real counterpart's runs are its own series, never pooled with the replay's repeats
      const subject = subjectKey(v);
      const key = `${run.experiment.id}\u0000${v.variant}\u0000${subject}`;
      let s = byKey.get(key);
      if (!s) {
        s = { experimentId: run.experiment.id, variant: subject ? `${v.variant}@${subject}` : v.variant, label: v.label, repeats: [], values: new Map() };
        byKey.set(key, s);
      }
      s.repeats.push(v);
      if (v.status !== 'ok') continue;
      for (const [key, value] of Object.entries(v.metrics)) {
        const name = metricName(key);
        if (!s.values.has(name)) s.values.set(name, []);
        if (typeof value === 'number' && Number.isFinite(value)) s.values.get(name)!.push(value);
      }
    }
  }
  return [...byKey.values()];
}

export interface MetricStats {
  experimentId: string;
  variant: string;
  metric: string;
  stats: Stats | null; // null when no repeat has a value
}

/** Statistics across repeats for every experiment × variant × metric of the given Runs. */
export function repeatStats(runs: Run[]): MetricStats[] {
  const out: MetricStats[] = [];
  for (const s of groupRepeats(runs)) {
    for (const [metric, values] of s.values) out.push({ experimentId: s.experimentId, variant: s.variant, metric, stats: values.length ? describeValues(values) : null });
  }
  return out;
}
