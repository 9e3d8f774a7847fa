// The charts of the HTML report as plain JSON specs (ECharts options without functions): the page's
// small client script (html-client.ts) adds the formatters and the series toggles. Built from the
// Run alone; every number on an axis is seconds or MiB.
import type { Run, VariantRun } from '../run/schema.js';
import { pageGrids, type PageGrid } from './pagemap-grid.js';
import { discoverSeries, seriesPoints, variantRunName, type SeriesPoint } from './series.js';
import { bytesToMiB, formatBytes } from './units.js';
import { phaseAxis, placer, type PhaseAxis, type PhaseSegment } from './phase-axis.js';

/** Okabe–Ito, colour-blind safe and readable on a projector (yellow left out: invisible on white). */
export const VARIANT_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#7F3C8D', '#444444', '#B8860B', '#1B9E77'];

export const PAGE_STATE_STYLE: Record<string, { label: string; color: string }> = {
  r: { label: 'resident', color: '#0072B2' },
  H: { label: 'huge page', color: '#D55E00' },
  L: { label: 'lazily freed', color: '#E69F00' },
  s: { label: 'swapped', color: '#7F3C8D' },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json | undefined };

export interface LinesChart {
  id: string;
  kind: 'lines';
  title: string;
  option: { [k: string]: Json };
  /** every series with the toggle it belongs to; the client shows those whose kind is checked */
  series: Array<{ kind: string; option: { [k: string]: Json } }>;
  kinds: Array<{ kind: string; label: string; on: boolean; dash: number[] | null }>;
  /** the phase bands of a phase-aligned x axis (points are [position, MiB, seconds]); null: x is seconds */
  phases: PhaseSegment[] | null;
}

export interface LayersChart {
  id: string;
  kind: 'layers';
  title: string;
  option: { [k: string]: Json };
  phases: PhaseSegment[] | null;
}

export interface PageMapChart {
  id: string;
  kind: 'pagemap';
  title: string;
  grid: PageGrid;
  states: Record<string, { label: string; color: string }>;
}

export type ChartSpec = LinesChart | LayersChart | PageMapChart;

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Keep the shape of a long series in at most ~maxPoints points: each bucket's minimum and maximum, in time order. */
export function decimate(points: SeriesPoint[], maxPoints: number): SeriesPoint[] {
  if (points.length <= maxPoints) return points;
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = points.length / buckets;
  const out: SeriesPoint[] = [];
  for (let b = 0; b < buckets; b++) {
    const slice = points.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (slice.length === 0) continue;
    let lo = slice[0]!;
    let hi = slice[0]!;
    for (const p of slice) {
      if (p.value < lo.value) lo = p;
      if (p.value > hi.value) hi = p;
    }
    if (lo === hi) out.push(lo);
    else out.push(...(lo.tMs <= hi.tMs ? [lo, hi] : [hi, lo]));
  }
  const last = points[points.length - 1]!;
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/** [seconds, MiB], or [axis position, MiB, seconds] on a phase-aligned axis. */
function xyData(points: SeriesPoint[], place: ((tMs: number) => number) | null = null): Json[] {
  return decimate(points, 3000).map((p) =>
    place ? [place(p.tMs), round3(bytesToMiB(p.value)), round3(p.tMs / 1000)] : [round3(p.tMs / 1000), round3(bytesToMiB(p.value))],
  );
}

/** The x axis over phase bands: no numbers (positions mean nothing), alternate bands shaded; the page labels them. */
function phaseXAxis(): { [k: string]: Json } {
  return { type: 'value', min: 0, max: 100, axisLabel: { show: false }, axisTick: { show: false }, splitLine: { show: false } };
}

function phaseBands(axis: PhaseAxis): { [k: string]: Json } {
  return {
    silent: true,
    itemStyle: { color: 'rgba(0, 40, 80, 0.06)' },
    data: axis.segments.filter((_, i) => i % 2 === 1).map((s) => [{ xAxis: s.x0 }, { xAxis: s.x1 }]),
  };
}

function phaseLines(axis: PhaseAxis): { [k: string]: Json } {
  return {
    symbol: ['none', 'none'],
    silent: true,
    label: { show: false },
    lineStyle: { type: 'solid', width: 1, color: '#9aa5b1' },
    data: axis.segments.slice(1).map((s) => ({ xAxis: s.x0 })),
  };
}

function baseAxes(yName: string): { [k: string]: Json } {
  return {
    xAxis: { type: 'value', name: 'seconds', nameLocation: 'middle', nameGap: 30, min: 0, axisLabel: { fontSize: 14 }, nameTextStyle: { fontSize: 14 } },
    yAxis: { type: 'value', name: yName, min: 0, axisLabel: { fontSize: 14 }, nameTextStyle: { fontSize: 14 } },
    grid: { left: 70, right: 30, top: 56, bottom: 56 },
    tooltip: { trigger: 'axis' },
    animation: false,
  };
}

/** Series of the whole machine, not of the process: drawn against the right-hand axis. */
const MACHINE_SERIES = new Set(['memFree']);

function legendRows(names: string[], widthPx = 900): number {
  const total = names.reduce((sum, n) => sum + n.length * 8 + 45, 0);
  return Math.max(1, Math.ceil(total / widthPx));
}

/** Line patterns of the series beside RSS, in order; the page's toggles show the same pattern as a swatch. */
export const DASHES: number[][] = [[8, 5], [2, 4], [10, 3, 2, 3], [1, 7], [16, 5], [4, 2, 4, 8]];

/** RSS of every variant on one chart, phase marks as labelled vertical lines, the other series as toggles. */
export interface ChartOptions {
  /** phase-aligned x axis (the static report); false: plain seconds with labelled phase lines (the live workshop page, whose phases are still arriving) */
  phaseAxis?: boolean;
}

export function rssChart(run: Run, id: string, opts: ChartOptions = {}): LinesChart {
  const variants = run.variants.filter((v) => v.samples.length > 0 || v.reports.length > 0);
  const extra = discoverSeries(variants, run.experiment.series).filter((s) => s.unit === 'bytes' && !s.name.startsWith('layer.'));
  // Every extra series × every variant is a thicket on a projector: at first show the experiment's
  // first series (two when there are at most two variants); the rest are a click away.
  const shownAtFirst = new Set(run.experiment.series.filter((name) => extra.some((x) => x.name === name)).slice(0, variants.length > 2 ? 1 : 2));
  const labelledPhases = new Set<string>();
  const series: LinesChart['series'] = [];
  const axis = opts.phaseAxis === false ? null : phaseAxis(variants);
  variants.forEach((v, i) => {
    const name = variantRunName(v, run.variants);
    const color = VARIANT_COLORS[i % VARIANT_COLORS.length]!;
    // label each phase once (on the first variant that has it): variants pass the same phases at
    // nearly the same time, and a label per variant would pile up into an unreadable stack
    // with many variants their phase lines would fill the chart: only the first one carries them then
    const carriesMarks = !axis && (variants.length <= 3 || i === 0);
    const place = axis ? placer(axis, v) : null;
    const marks = (carriesMarks ? v.marks : []).map((m) => {
      const show = !labelledPhases.has(m.phase);
      labelledPhases.add(m.phase);
      return { xAxis: round3(m.tMs / 1000), name: m.label || m.phase, label: { show, formatter: m.phase, fontSize: 13, color } };
    });
    series.push({
      kind: 'rss',
      option: {
        // ids, not names, tell the toggles' replaceMerge which series stay: all of a variant's series share its name
        id: `${i}:rss`,
        name,
        type: 'line',
        showSymbol: false,
        color,
        lineStyle: { width: 3 },
        data: xyData(seriesPoints(v, 'rss'), place),
        ...(axis && i === 0
          ? { markArea: phaseBands(axis), markLine: phaseLines(axis) }
          : { markLine: { symbol: ['none', 'none'], silent: true, lineStyle: { type: 'dashed', width: 1, color, opacity: 0.7 }, label: { position: 'insideEndTop' }, data: marks } }),
      },
    });
    extra.forEach((s, k) => {
      const points = seriesPoints(v, s.name);
      if (points.length === 0) return;
      series.push({
        kind: s.name,
        option: {
          id: `${i}:${s.name}`,
          name,
          type: 'line',
          showSymbol: points.length < 30,
          symbolSize: 5,
          color,
          lineStyle: { width: 2, type: DASHES[k % DASHES.length]! },
          data: xyData(points, place),
          step: s.source === 'report' ? 'end' : false,
          yAxisIndex: MACHINE_SERIES.has(s.name) ? 1 : 0,
        },
      });
    });
  });
  const names = variants.map((v) => variantRunName(v, run.variants));
  return {
    id,
    kind: 'lines',
    title: 'RSS over time',
    option: {
      ...baseAxes('MiB'),
      ...(axis ? { xAxis: phaseXAxis() } : {}),
      // the machine's free memory is gigabytes: on its own axis, scaled to its own range, so that
      // the region's megabytes stay readable and MemFree's small moves still show
      yAxis: [
        baseAxes('MiB').yAxis!,
        ...(series.some((x) => x.option.yAxisIndex === 1) ? [{ type: 'value', name: 'MemFree MiB', scale: true, position: 'right', splitLine: { show: false }, axisLabel: { fontSize: 13 }, nameTextStyle: { fontSize: 13 } }] : []),
      ],
      // a plain legend wraps; the plot starts below its estimated rows (about 8 px per character at 15 px)
      grid: { left: 70, right: series.some((x) => x.option.yAxisIndex === 1) ? 80 : 30, top: 40 + 26 * legendRows(names), bottom: axis ? 12 : 56 },
      legend: { type: 'plain', top: 8, textStyle: { fontSize: 15 }, data: names },
    },
    series,
    kinds: [
      { kind: 'rss', label: 'RSS (process)', on: true, dash: null },
      ...extra.map((s, k) => ({ kind: s.name, label: s.label, on: shownAtFirst.has(s.name), dash: DASHES[k % DASHES.length]! })),
    ],
    phases: axis?.segments ?? null,
  };
}

/** Order of the fragmentation layers, bottom to top: what is live, what the allocator holds, what it retains, what went back. */
const LAYER_ORDER = ['live', 'free', 'held', 'frag', 'retained', 'dirty', 'idle', 'metadata', 'released'];

function layerRank(name: string): number {
  const i = LAYER_ORDER.findIndex((k) => name.toLowerCase().includes(k));
  return i < 0 ? LAYER_ORDER.length : i;
}

/** A stacked area of the layer.* values a variant reported, with its RSS drawn over them. */
export function layersChart(run: Run, v: VariantRun, id: string, opts: ChartOptions = {}): LayersChart | null {
  const names = [...new Set(v.reports.flatMap((r) => Object.keys(r.values).filter((k) => k.startsWith('layer.'))))];
  if (names.length === 0) return null;
  names.sort((a, b) => layerRank(a) - layerRank(b) || a.localeCompare(b));
  const rows = v.reports.filter((r) => names.some((n) => typeof r.values[n] === 'number'));
  const axis = opts.phaseAxis === false ? null : phaseAxis([v]);
  const place = axis ? placer(axis, v) : null;
  const at = (tMs: number): Json[] => (place ? [place(tMs), 0, round3(tMs / 1000)] : [round3(tMs / 1000), 0]);
  // Each layer value is drawn at the moment the child measured it (a dot), straight lines between:
  // a step held until the next report drew the freed layer above an RSS line that had already
  // fallen, a state that never existed.
  const series: Json[] = names.map((n, i) => ({
    name: n.slice('layer.'.length),
    type: 'line',
    stack: 'layers',
    areaStyle: { opacity: 0.85 },
    showSymbol: true,
    symbolSize: 6,
    lineStyle: { width: 1 },
    color: VARIANT_COLORS[i % VARIANT_COLORS.length]!,
    data: rows.map((r) => {
      const p = at(r.tMs);
      p[1] = round3(bytesToMiB(r.values[n] ?? 0));
      return p;
    }),
  }));
  series.push({
    name: 'RSS',
    type: 'line',
    showSymbol: false,
    color: '#000000',
    lineStyle: { width: 2, type: 'dashed' },
    data: xyData(seriesPoints(v, 'rss'), place),
    ...(axis ? { markArea: phaseBands(axis), markLine: phaseLines(axis) } : {}),
  });
  return {
    id,
    kind: 'layers',
    title: `Where the RSS is — ${variantRunName(v, run.variants)}`,
    option: { ...baseAxes('MiB'), ...(axis ? { xAxis: phaseXAxis(), grid: { left: 70, right: 30, top: 56, bottom: 12 } } : {}), legend: { top: 8, textStyle: { fontSize: 14 } }, series },
    phases: axis?.segments ?? null,
  };
}

export function pageMapCharts(run: Run, v: VariantRun, idPrefix: string): PageMapChart[] {
  return pageGrids(v.pageMaps, 512, 240, v.marks).map((grid, i) => ({
    id: `${idPrefix}-${i}`,
    kind: 'pagemap',
    title: `Pages of region "${grid.region}" over time — ${variantRunName(v, run.variants)} (${formatBytes(grid.pages * grid.pageSize)}, ${grid.pagesPerCell} page${grid.pagesPerCell > 1 ? 's' : ''} per row, from ${grid.source}; grey: not resident)`,
    grid,
    states: PAGE_STATE_STYLE,
  }));
}
