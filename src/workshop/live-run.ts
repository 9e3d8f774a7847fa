// The run as it happens, rebuilt from the runner's events, drawn with the static report's own chart
// builders (rssChart, layersChart, pageMapCharts): the live page shows the same series, colours,
// phase lines and page-map heatmap as report.html. When a variant ends, its live copy is replaced by
// the runner's finished VariantRun, so the last picture is exactly the report's.
import type { RunEvent } from '../lab/events.js';
import type { ExperimentDefinition, Params } from '../lab/experiment.js';
import type { Run, Sample, VariantRun } from '../run/schema.js';
import { newVariantRun } from '../run/new-variant-run.js';
import { decimate, layersChart, pageMapCharts, rssChart, type ChartSpec, type PageMapChart } from '../report/html-charts.js';
import type { SeriesPoint } from '../report/series.js';

/** Samples per variant sent to the browser: the sampler makes 50 a second; a chart needs a few hundred. */
export const LIVE_SAMPLES_PER_VARIANT = 800;

function liveVariant(def: ExperimentDefinition<Params>, variant: string, repeat: number): VariantRun {
  const spec = def.variants.find((v) => v.id === variant);
  // the settings in force are known only when the variant ends; the live charts do not show them
  const thp = { enabled: null, defrag: null, scanSleepMs: null, pagesToScan: null, maxPtesNone: null, fullScans: null, pagesCollapsed: null };
  return newVariantRun(
    { variant, label: spec?.label ?? variant, description: spec?.description ?? '', repeat },
    { thp, knobs: [], env: {}, nodeArgs: [], thpDisable: false, allocator: null, cgroup: null, skippedSettings: [] },
  );
}

/** Keep the RSS shape of a long sample list in about `max` samples (each bucket's lowest and highest). */
export function thinSamples(samples: Sample[], max: number): Sample[] {
  if (samples.length <= max) return samples;
  const points = samples.map((s): SeriesPoint & { s: Sample } => ({ tMs: s.tMs, value: s.rssBytes, s }));
  return (decimate(points, max) as Array<SeriesPoint & { s: Sample }>).map((p) => p.s);
}

export class LiveRun {
  readonly variants: VariantRun[] = [];
  private pageMapCache = new Map<VariantRun, { count: number; charts: PageMapChart[] }>();

  constructor(
    readonly def: ExperimentDefinition<Params>,
    /** distinguishes this experiment's chart ids from the previous one's on the same page */
    readonly index: number,
    readonly quick: boolean,
  ) {}

  private current(variant: string): VariantRun | undefined {
    const last = this.variants[this.variants.length - 1];
    return last && last.variant === variant ? last : undefined;
  }

  /** Fold one runner event in; true when the charts changed. */
  apply(e: RunEvent): boolean {
    switch (e.type) {
      case 'variant-start':
        this.variants.push(liveVariant(this.def, e.variant, e.repeat));
        return true;
      case 'sample': {
        const v = this.current(e.variant);
        if (!v) return false;
        const rssOnly: Sample = { tMs: e.tMs, rssBytes: e.rssBytes, pssBytes: null, anonBytes: null, anonHugeBytes: null, lazyFreeBytes: null, swapBytes: null, regions: {} };
        v.samples.push(e.sample ?? rssOnly);
        v.durationMs = e.tMs;
        return true;
      }
      case 'phase': {
        const v = this.current(e.variant);
        if (!v) return false;
        v.marks.push({ tMs: e.tMs, phase: e.phase, label: e.label });
        return true;
      }
      case 'report':
        this.current(e.variant)?.reports.push(e.report);
        return true;
      case 'page-map':
        this.current(e.variant)?.pageMaps.push(e.pageMap);
        return true;
      case 'variant-end': {
        const i = this.variants.findIndex((v) => v.variant === e.result.variant && v.repeat === e.result.repeat);
        if (i >= 0) this.variants[i] = e.result;
        else this.variants.push(e.result);
        return true;
      }
      default:
        return false;
    }
  }

  /** The chart builders read only the experiment and its variants: the rest of a Run is not known yet. */
  private chartRun(variants: VariantRun[]): Run {
    const d = this.def;
    const experiment: Run['experiment'] = {
      id: d.id,
      title: d.title,
      seed: d.seed,
      summary: d.summary,
      story: d.story,
      params: {},
      profile: this.quick ? 'quick' : 'default',
      headline: d.headline,
      series: d.series,
    };
    return { experiment, variants } as Pick<Run, 'experiment' | 'variants'> as Run;
  }

  /** The charts of report.html for what has happened so far, thinned for the browser. */
  charts(): ChartSpec[] {
    const prefix = `x${this.index}`;
    const thinned = this.variants.map((v) => ({ ...v, samples: thinSamples(v.samples, LIVE_SAMPLES_PER_VARIANT) }));
    const run = this.chartRun(thinned);
    // seconds, not phase bands: the live page has no phase strip, and its phases are still arriving
    const out: ChartSpec[] = [rssChart(run, `${prefix}-rss`, { phaseAxis: false })];
    thinned.forEach((v, i) => {
      const c = layersChart(run, v, `${prefix}-layers-${i}`, { phaseAxis: false });
      if (c) out.push(c);
    });
    this.variants.forEach((v, i) => {
      for (const c of this.pageMaps(run, v, thinned[i]!, `${prefix}-pages-${i}`)) out.push(c);
    });
    return out;
  }

  // Decoding every page map is the costly part: redone only when a variant has a new one.
  private pageMaps(run: Run, v: VariantRun, shown: VariantRun, idPrefix: string): PageMapChart[] {
    const cached = this.pageMapCache.get(v);
    if (cached && cached.count === v.pageMaps.length) return cached.charts;
    const charts = pageMapCharts(run, shown, idPrefix);
    this.pageMapCache.set(v, { count: v.pageMaps.length, charts });
    return charts;
  }
}
