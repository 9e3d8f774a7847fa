// Metric references: how expectations, headline tables and comparisons name a number in a Run.
//
//   <series>@<selector>
//
// series:
//   rss pss anon anonHuge lazyFree swap memFree      process totals (smaps_rollup) and MemFree
//   region.<name>.rss|anonHuge|lazyFree|swap|size     one tagged region's own smaps entry
//   cgroup.usage|anon|anonThp|file|inactiveAnon       the child's memory cgroup
//   thp.<counter>                                     /proc/vmstat THP counters (absolute)
//   <anything else>                                   a value the child reported (live, alloc.resident, v8.heapUsed)
//   metric.<name>                                     a derived figure stored in VariantRun.metrics (no selector)
// selector:
//   start:<phase>  end:<phase>  max:<phase>  min:<phase>  mean:<phase>  delta:<phase> (end − start)
//   first  last  max  min
// A phase starts at its mark (the parent samples there) and ends at the next mark or the last sample.
import { own } from '../run/own.js';
import type { Mark, Report, Sample, VariantRun } from '../run/schema.js';

type Picked = Pick<VariantRun, 'samples' | 'marks' | 'reports' | 'metrics'>;

const TOTALS: Record<string, (s: Sample) => number | null | undefined> = {
  rss: (s) => s.rssBytes,
  pss: (s) => s.pssBytes,
  anon: (s) => s.anonBytes,
  anonHuge: (s) => s.anonHugeBytes,
  lazyFree: (s) => s.lazyFreeBytes,
  swap: (s) => s.swapBytes,
  memFree: (s) => s.memFreeBytes,
};

const REGION_FIELDS = { rss: 'rssBytes', anonHuge: 'anonHugeBytes', lazyFree: 'lazyFreeBytes', swap: 'swapBytes', size: 'sizeBytes' } as const;
const CGROUP_FIELDS = { usage: 'usageBytes', anon: 'anonBytes', anonThp: 'anonThpBytes', file: 'fileBytes', inactiveAnon: 'inactiveAnonBytes' } as const;

/** A reader of one series from a sample, or null when the name is a child-reported value. */
export function sampleAccessor(series: string): ((s: Sample) => number | null) | null {
  const total = own(TOTALS, series);
  if (total) return (s) => total(s) ?? null;
  if (series.startsWith('region.')) {
    const dot = series.lastIndexOf('.');
    const name = series.slice('region.'.length, dot);
    const field = own<string>(REGION_FIELDS, series.slice(dot + 1)) as (typeof REGION_FIELDS)[keyof typeof REGION_FIELDS] | undefined;
    if (!field || !name) return null;
    return (s) => own(s.regions, name)?.[field] ?? null;
  }
  if (series.startsWith('cgroup.')) {
    const field = own<string>(CGROUP_FIELDS, series.slice('cgroup.'.length)) as (typeof CGROUP_FIELDS)[keyof typeof CGROUP_FIELDS] | undefined;
    if (!field) return null;
    return (s) => s.cgroup?.[field] ?? null;
  }
  if (series.startsWith('thp.')) {
    const counter = series.slice('thp.'.length);
    return (s) => own(s.thp, counter) ?? null;
  }
  return null;
}

export interface PhaseWindow {
  startMs: number;
  endMs: number;
}

/** [start, end] of a phase: from its first mark to the next mark (or +∞). */
export function phaseWindow(marks: Mark[], phase: string): PhaseWindow | null {
  const i = marks.findIndex((m) => m.phase === phase);
  if (i < 0) return null;
  const next = marks[i + 1];
  return { startMs: marks[i]!.tMs, endMs: next ? next.tMs : Number.POSITIVE_INFINITY };
}

export class MetricError extends Error {}

interface Point {
  tMs: number;
  value: number;
}

function seriesPoints(run: Picked, series: string): { points: Point[]; reported: boolean } {
  const get = sampleAccessor(series);
  if (get) {
    const points: Point[] = [];
    for (const s of run.samples) {
      const v = get(s);
      if (v !== null && Number.isFinite(v)) points.push({ tMs: s.tMs, value: v });
    }
    return { points, reported: false };
  }
  const points: Point[] = [];
  for (const r of run.reports as Report[]) {
    const v = own(r.values, series);
    if (typeof v === 'number' && Number.isFinite(v)) points.push({ tMs: r.tMs, value: v });
  }
  return { points, reported: true };
}

/** Evaluate a metric reference; null when the Run has no such data (e.g. a phase that never ran). */
export function evaluateMetric(run: Picked, ref: string): number | null {
  if (ref.startsWith('metric.')) {
    const v = own(run.metrics, ref.slice('metric.'.length));
    return typeof v === 'number' ? v : null;
  }
  const at = ref.indexOf('@');
  if (at <= 0) throw new MetricError(`metric "${ref}": expected <series>@<selector>, e.g. rss@end:free`);
  const series = ref.slice(0, at);
  const selector = ref.slice(at + 1);
  const { points, reported } = seriesPoints(run, series);
  if (points.length === 0) return null;
  const colon = selector.indexOf(':');
  const how = colon < 0 ? selector : selector.slice(0, colon);
  const phase = colon < 0 ? null : selector.slice(colon + 1);

  let window: Point[] = points;
  if (phase !== null) {
    const w = phaseWindow(run.marks, phase);
    if (!w) return null;
    // A sample taken at a mark belongs to both phases it separates: the state at the boundary.
    // Reports are stamped with the phase the child was in, but by time here for one rule.
    window = points.filter((p) => p.tMs >= w.startMs && (reported ? p.tMs < w.endMs : p.tMs <= w.endMs));
    if (window.length === 0) {
      if (how === 'start' || how === 'end') {
        // no point inside: take the last value before the boundary (a slow sampler, a short phase)
        const t = how === 'start' ? w.startMs : w.endMs;
        const before = points.filter((p) => p.tMs <= t);
        return before.length ? before[before.length - 1]!.value : null;
      }
      return null;
    }
  }
  switch (how) {
    case 'start':
    case 'first':
      return window[0]!.value;
    case 'end':
    case 'last':
      return window[window.length - 1]!.value;
    case 'max':
      return window.reduce((m, p) => Math.max(m, p.value), Number.NEGATIVE_INFINITY);
    case 'min':
      return window.reduce((m, p) => Math.min(m, p.value), Number.POSITIVE_INFINITY);
    case 'mean':
      return window.reduce((m, p) => m + p.value, 0) / window.length;
    case 'delta':
      return window[window.length - 1]!.value - window[0]!.value;
    default:
      throw new MetricError(`metric "${ref}": unknown selector "${how}" (use start, end, max, min, mean, delta, first, last)`);
  }
}

/** First time (ms since the phase's start) at which the series reaches `threshold`, or null. */
export function timeToReach(run: Picked, series: string, phase: string, threshold: number): number | null {
  const w = phaseWindow(run.marks, phase);
  if (!w) return null;
  for (const p of seriesPoints(run, series).points) {
    if (p.tMs >= w.startMs && p.tMs <= w.endMs && p.value >= threshold) return p.tMs - w.startMs;
  }
  return null;
}
