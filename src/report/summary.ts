// What every summary (terminal, Markdown, HTML) says about a variant: its headline figures and
// how its expectations fared. Values come from the Run alone, through src/check/metric.ts.
import { evaluateMetric, MetricError } from '../check/metric.js';
import type { ExpectationResult, Run, VariantRun } from '../run/schema.js';
import { formatValue } from './units.js';

/**
 * A headline figure: a derived metric stored in the Run (`metric.x` or a bare name present in
 * VariantRun.metrics) or a metric reference evaluated on the samples (`rss@end:free`).
 */
export function headlineValue(v: VariantRun, metric: string): number | null {
  if (Object.prototype.hasOwnProperty.call(v.metrics, metric)) {
    const stored = v.metrics[metric];
    return typeof stored === 'number' ? stored : null;
  }
  try {
    return evaluateMetric(v, metric);
  } catch (e) {
    // a reference this version cannot evaluate reads as "no value", not as a crash of the report
    if (e instanceof MetricError) return null;
    throw e;
  }
}

export function formatHeadline(v: VariantRun, metric: string): string {
  return formatValue(metric, headlineValue(v, metric));
}

export interface ExpectationCounts {
  held: number;
  failed: number;
  skipped: number;
}

export function countExpectations(results: ExpectationResult[]): ExpectationCounts {
  const counts: ExpectationCounts = { held: 0, failed: 0, skipped: 0 };
  for (const e of results) counts[e.status]++;
  return counts;
}

/** "3 ✓ 1 ✗ 2 skipped" — the counts that are not zero, "—" when there are none. */
export function formatCounts(c: ExpectationCounts): string {
  const parts: string[] = [];
  if (c.held) parts.push(`${c.held} ✓`);
  if (c.failed) parts.push(`${c.failed} ✗`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  return parts.length ? parts.join(' ') : '—';
}

/** The right side of an expectation in the left side's unit when it is a plain number. */
function rightRef(e: ExpectationResult): string {
  return typeof e.right === 'string' ? e.right : e.left;
}

/** " + 16.0 MiB" / " - 4.0 MiB": an expectation's absolute slack in its metric's unit, '' without one. */
function offsetText(e: ExpectationResult): string {
  if (e.offset === undefined || e.offset === 0) return '';
  return ` ${e.offset < 0 ? '-' : '+'} ${formatValue(rightRef(e), Math.abs(e.offset))}`;
}

/** "rss@max:idle = 257.0 MiB > 230.4 MiB (0.9 × region.main.size@max)", "… (rss@start:load + 16.0 MiB)" */
export function describeComparison(e: ExpectationResult): string {
  const left = `${e.left} = ${formatValue(e.left, e.leftValue)}`;
  const rightValue = formatValue(rightRef(e), e.rightValue);
  const rightSource = typeof e.right === 'string' ? e.right : null;
  const factor = e.factor !== undefined && e.factor !== 1 ? `${e.factor} × ` : '';
  const offset = offsetText(e);
  const how = rightSource ? ` (${factor}${rightSource}${offset})` : factor || offset ? ` (${factor}${formatValue(e.left, e.right as number)}${offset})` : '';
  return `${left} ${e.op} ${rightValue}${how}`;
}

/** A skipped expectation as written, its number in the left side's unit: "rss@max:idle >= 0.9 × 256.0 MiB". */
export function describeSkipped(e: ExpectationResult): string {
  const factor = e.factor !== undefined && e.factor !== 1 ? `${e.factor} × ` : '';
  const right = typeof e.right === 'string' ? e.right : formatValue(e.left, e.right);
  return `${e.left} ${e.op} ${factor}${right}${offsetText(e)}`;
}

export function statusMark(status: ExpectationResult['status']): string {
  return status === 'held' ? '✓' : status === 'failed' ? '✗' : '–';
}

/** Machine in one line: kernel, THP, khugepaged pace, CPUs and memory. */
export function machineLine(run: Run): string {
  const m = run.machine;
  const thp = m.thp;
  const khp = `khugepaged sleep ${thp.scanSleepMs ?? '?'} ms, ${thp.pagesToScan ?? '?'} pages/scan, max_ptes_none ${thp.maxPtesNone ?? '?'}`;
  const cg = m.cgroup.version ? `cgroup v${m.cgroup.version}` : 'no memory cgroup';
  return `${m.hostname} · Linux ${m.kernel} ${m.arch} · ${m.cpus} CPUs · ${formatValue('memTotalBytes', m.memTotalBytes)} · THP enabled=${thp.enabled ?? '?'} defrag=${thp.defrag ?? '?'} · ${khp} · ${cg}${m.root ? ' · root' : ''} · Node ${m.node}`;
}

export function variantStatusText(v: VariantRun): string {
  if (v.status === 'ok') return 'ok';
  if (v.status === 'failed') return `failed: ${v.failure?.reason ?? 'unknown reason'}`;
  return 'skipped';
}
