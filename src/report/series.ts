// Which time series a variant's data holds, and how to read them: the sampler's figures (process
// totals, tagged regions, cgroup, MemFree) and the values the child reported (live bytes, allocator
// and V8 stats, fragmentation layers). Names follow src/check/metric.ts so that a chart's series,
// an expectation's left side and a headline metric all mean the same thing.
import { sampleAccessor } from '../check/metric.js';
import type { Mark, Sample, VariantRun } from '../run/schema.js';
import { unitOf, type Unit } from './units.js';
import { own } from '../run/own.js';

export interface SeriesPoint {
  tMs: number;
  value: number;
}

export interface SeriesInfo {
  /** metric-style series name: rss, region.main.anonHuge, alloc.resident, v8.heapUsed */
  name: string;
  label: string;
  unit: Unit;
  source: 'sample' | 'report';
}

const TOTAL_LABELS: Record<string, string> = {
  rss: 'RSS',
  pss: 'PSS',
  anon: 'Anonymous',
  anonHuge: 'AnonHugePages',
  lazyFree: 'LazyFree',
  swap: 'Swap',
  memFree: 'MemFree (machine)',
};
const REGION_LABELS: Record<string, string> = { rss: 'Rss', anonHuge: 'AnonHugePages', lazyFree: 'LazyFree', swap: 'Swap' };
const CGROUP_LABELS: Record<string, string> = {
  usage: 'cgroup usage',
  anon: 'cgroup anon',
  anonThp: 'cgroup anon THP',
  file: 'cgroup file',
  inactiveAnon: 'cgroup inactive anon',
};

/** Accept both the metric form (region.main.rss) and the sample-path form (regions.main.rssBytes). */
export function normaliseSeriesName(name: string): string {
  const path = /^regions\.(.+)\.(rss|anonHuge|lazyFree|swap|size)Bytes$/.exec(name);
  if (path) return `region.${path[1]}.${path[2]}`;
  const total = /^(rss|pss|anon|anonHuge|lazyFree|swap|memFree)Bytes$/.exec(name);
  if (total) return total[1]!;
  const cg = /^cgroup\.(usage|anon|anonThp|file|inactiveAnon)Bytes$/.exec(name);
  if (cg) return `cgroup.${cg[1]}`;
  return name;
}

export function seriesLabel(name: string): string {
  const total = own(TOTAL_LABELS, name);
  if (total) return total;
  const region = /^region\.(.+)\.(\w+)$/.exec(name);
  if (region) return `${region[1]} ${own(REGION_LABELS, region[2]!) ?? region[2]}`;
  const cg = /^cgroup\.(\w+)$/.exec(name);
  if (cg) return own(CGROUP_LABELS, cg[1]!) ?? name;
  return name;
}

/** The points of one series in time order; reports and samples alike. */
export function seriesPoints(run: Pick<VariantRun, 'samples' | 'reports'>, name: string): SeriesPoint[] {
  const get = sampleAccessor(normaliseSeriesName(name));
  const points: SeriesPoint[] = [];
  if (get) {
    for (const s of run.samples) {
      const v = get(s);
      if (v !== null && Number.isFinite(v)) points.push({ tMs: s.tMs, value: v });
    }
    return points;
  }
  for (const r of run.reports) {
    const v = own(r.values, name);
    if (typeof v === 'number' && Number.isFinite(v)) points.push({ tMs: r.tMs, value: v });
  }
  return points;
}

function sampleSeriesNames(s: Sample): string[] {
  const names: string[] = [];
  for (const [key, field] of [
    ['pss', s.pssBytes],
    ['anon', s.anonBytes],
    ['anonHuge', s.anonHugeBytes],
    ['lazyFree', s.lazyFreeBytes],
    ['swap', s.swapBytes],
    ['memFree', s.memFreeBytes],
  ] as const) {
    if (typeof field === 'number') names.push(key);
  }
  for (const region of Object.keys(s.regions)) {
    for (const f of ['rss', 'anonHuge', 'lazyFree', 'swap']) names.push(`region.${region}.${f}`);
  }
  if (s.cgroup) {
    for (const [k, v] of Object.entries(s.cgroup)) if (typeof v === 'number') names.push(`cgroup.${k.replace(/Bytes$/, '')}`);
  }
  return names;
}

/**
 * Every series the variants hold besides RSS, in a stable order: the experiment's own picks
 * first, then sample series, then reported values. Only series with at least one non-zero point
 * are listed, so a chart's toggles are never empty lines.
 */
export function discoverSeries(variants: VariantRun[], preferred: string[]): SeriesInfo[] {
  const seen = new Set<string>(['rss']);
  const ordered: string[] = [];
  const add = (name: string): void => {
    const n = normaliseSeriesName(name);
    if (!seen.has(n)) {
      seen.add(n);
      ordered.push(n);
    }
  };
  preferred.forEach(add);
  for (const v of variants) for (const s of v.samples) sampleSeriesNames(s).forEach(add);
  for (const v of variants) for (const r of v.reports) Object.keys(r.values).forEach(add);
  return ordered
    .filter((name) => variants.some((v) => seriesPoints(v, name).some((p) => p.value !== 0)))
    .map((name) => ({
      name,
      label: seriesLabel(name),
      unit: unitOf(name),
      source: sampleAccessor(name) ? ('sample' as const) : ('report' as const),
    }));
}

/** The phase in force at time t: the last mark at or before it ("" before the first mark). */
export function phaseAt(marks: Mark[], tMs: number): string {
  let phase = '';
  for (const m of marks) {
    if (m.tMs <= tMs) phase = m.phase;
    else break;
  }
  return phase;
}

/**
 * Name a variant run in every report alike (terminal, Markdown, HTML legends and tables): its id —
 * what `--variant` takes — with the repeat ("#2") when there are several. The label is the
 * longer description that tables show beside it.
 */
export function variantRunName(v: Pick<VariantRun, 'variant' | 'repeat' | 'subject'>, all: Array<Pick<VariantRun, 'repeat'>>): string {
  const base = v.variant + (v.subject?.kind === 'real' ? ` — real (${v.subject.counterpart})` : '');
  // repeats are numbered by the runner; count them here so 0- and 1-based numbering read the same
  const repeats = [...new Set(all.map((x) => x.repeat))].sort((a, b) => a - b);
  return repeats.length > 1 ? `${base} #${repeats.indexOf(v.repeat) + 1}` : base;
}
