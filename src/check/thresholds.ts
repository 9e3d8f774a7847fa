// Which way is worse for a metric, and by how much a change must go that way before `rsslab compare`
// calls it a regression. The direction is read from the metric's name, conservatively: only memory
// figures a program holds are judged by default (bigger is worse); a figure whose name says memory
// came back (reclaimed, released, returned, purged, trimmed) is worse when smaller; everything whose
// direction a name cannot tell (times such as metric.regrowMs — is a faster regrowth worse? —
// counts, THP counters, the machine-wide MemFree that other processes move) is shown, not judged,
// until the user names a direction with --threshold NAME=…,higher|lower.
import { own } from '../run/own.js';
import { parseBytes, parseDurationMs } from '../quantities.js';
import { unitOf, type Unit } from './metric-unit.js';

/** 'higher': bigger is worse; 'lower': smaller is worse; null: not judged. */
export type Direction = 'higher' | 'lower' | null;

export interface Threshold {
  /** the change must exceed this fraction of the baseline median (0.1 = 10%) … */
  rel: number;
  /** … AND this many units of the metric (bytes, ms or a count) */
  abs: number;
  direction: Direction;
}

export interface ThresholdConfig {
  rel: number;
  /** absolute threshold for byte metrics */
  absBytes: number;
  /** absolute thresholds for the other units, used when a direction is set for them */
  absMs: number;
  absCount: number;
  /** per-metric overrides (exact metric name, e.g. "region.main.rss@end:free" or "metric.regrowMs") */
  perMetric: Record<string, Partial<Threshold>>;
}

export const MiB = 1024 * 1024;

/** 10% and 8 MiB: page-level noise (allocator caches, V8's heap, page tables) is a few MiB on this kind of run. */
export const DEFAULT_THRESHOLDS: ThresholdConfig = { rel: 0.1, absBytes: 8 * MiB, absMs: 250, absCount: 0, perMetric: {} };

// anywhere in the leaf: runtime-heap's metric.rssFreedByGcBytes is memory that came back (more is better)
const RETURNED = /reclaimed|released|returned|purged|trimmed|freed/i;

/** The series part of a reference: "region.main.rss@end:free" → "region.main.rss"; "metric.x" stays. */
function seriesOf(metric: string): string {
  const at = metric.indexOf('@');
  return at < 0 ? metric : metric.slice(0, at);
}

export function defaultDirection(metric: string): Direction {
  const series = seriesOf(metric);
  if (series === 'memFree') return null;
  const leaf = series.slice(series.lastIndexOf('.') + 1);
  if (RETURNED.test(leaf)) return unitOf(metric) === 'bytes' ? 'lower' : null;
  if (unitOf(metric) === 'bytes') return 'higher';
  // memory held per byte live (rssOverLive, heldOverLive): the overhead this tool exists to show
  if (/Over(?:Live|Used)$/.test(leaf)) return 'higher';
  return null;
}

export function thresholdFor(metric: string, cfg: ThresholdConfig): Threshold {
  const unit: Unit = unitOf(metric);
  const abs = unit === 'bytes' ? cfg.absBytes : unit === 'ms' ? cfg.absMs : cfg.absCount;
  const base: Threshold = { rel: cfg.rel, abs, direction: defaultDirection(metric) };
  // metric names come from Run files: own keys only (a metric named "constructor" is just a name)
  const o = own(cfg.perMetric, metric) ?? own(cfg.perMetric, seriesOf(metric)) ?? {};
  return { rel: o.rel ?? base.rel, abs: o.abs ?? base.abs, direction: o.direction !== undefined ? o.direction : base.direction };
}

/** "10%" or "10" → 0.1. */
export function parseRel(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new RangeError(`"${text}" is not a relative threshold: use a percentage, e.g. 10%`);
  return Number(m[1]) / 100;
}

/** An absolute threshold in the metric's unit: a size for bytes ("8MiB"), a duration for ms ("500ms"), a number otherwise. */
export function parseAbs(text: string, unit: Unit): number {
  if (unit === 'bytes') return parseBytes(text);
  if (unit === 'ms') return parseDurationMs(text);
  const m = /^\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) throw new RangeError(`"${text}" is not a number`);
  return Number(m[1]);
}

/**
 * `--threshold NAME=PARTS` with PARTS a comma list of: a percentage (10%), an absolute value in the
 * metric's unit (16MiB, 500ms, 3), and a direction (higher: bigger is worse, lower: smaller is worse,
 * none: do not judge). E.g. "region.main.rss@end:free=5%,4MiB" or "metric.regrowMs=20%,1s,lower".
 */
export function parseThresholdOverride(spec: string): [string, Partial<Threshold>] {
  const eq = spec.lastIndexOf('=');
  if (eq <= 0) throw new RangeError(`--threshold "${spec}": expected METRIC=10%,16MiB (percent, absolute, optionally higher|lower|none)`);
  const metric = spec.slice(0, eq).trim();
  const parts = spec.slice(eq + 1).split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw new RangeError(`--threshold "${spec}": nothing after "=" (e.g. ${metric}=10%,16MiB)`);
  const out: Partial<Threshold> = {};
  for (const p of parts) {
    try {
      if (p === 'higher' || p === 'lower') out.direction = p;
      else if (p === 'none') out.direction = null;
      else if (p.endsWith('%')) out.rel = parseRel(p);
      else out.abs = parseAbs(p, unitOf(metric));
    } catch (e) {
      throw new RangeError(`--threshold "${spec}": ${(e as Error).message}`);
    }
  }
  return [metric, out];
}
