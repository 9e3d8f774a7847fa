// A failed memory expectation told the way a test failure is: what was expected (and how the limit
// was made), what was measured, in which phase, and the sampled series around that moment — so a
// red CI line says whether RSS never came down, came down too late, or the phase never happened.
// Used by expectMemory()'s message, the test matchers (src/vitest.ts) and `rsslab watch`.
import type { ExpectationResult, Mark, VariantRun } from '../run/schema.js';
import { phaseWindow, sampleAccessor } from '../check/metric.js';
import { formatValue, unitOf } from './units.js';

type Measured = Pick<VariantRun, 'samples' | 'marks' | 'label' | 'status' | 'failure' | 'expectations'>;

const AROUND = 2;

/** Times in one form throughout, precise enough to tell samples 20 ms apart: "1.001 s". */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

function phaseAt(marks: Mark[], tMs: number): Mark | null {
  let at: Mark | null = null;
  for (const m of marks) if (m.tMs <= tMs) at = m;
  return at;
}

/** "1.2 × rss@start:load (412.0 KiB) + 16.0 MiB = 16.5 MiB": how the limit was made. */
function expectedText(e: ExpectationResult, rightRefValue: number | null): string {
  const limit = formatValue(typeof e.right === 'string' ? e.right : e.left, e.rightValue);
  const parts: string[] = [];
  if (typeof e.right === 'string') {
    const factor = e.factor !== undefined && e.factor !== 1 ? `${e.factor} × ` : '';
    parts.push(`${factor}${e.right} (${formatValue(e.right, rightRefValue)})`);
  } else if (e.factor !== undefined && e.factor !== 1) parts.push(`${e.factor} × ${formatValue(e.left, e.right)}`);
  if (e.offset !== undefined && e.offset !== 0) parts.push(`${e.offset < 0 ? '-' : '+'} ${formatValue(typeof e.right === 'string' ? e.right : e.left, Math.abs(e.offset))}`);
  return parts.length ? `${e.left} ${e.op} ${parts.join(' ')} = ${limit}` : `${e.left} ${e.op} ${limit}`;
}

/** "48.0 MiB over the limit" / "2.0 MiB short of it" */
function missText(e: ExpectationResult): string {
  if (e.leftValue === null || e.rightValue === null) return '';
  const diff = e.leftValue - e.rightValue;
  const by = formatValue(e.left, Math.abs(diff));
  return e.op === '<' || e.op === '<=' ? `, ${by} over the limit` : `, ${by} short of it`;
}

/** Times (ms) the left side's value comes from: a point, or a phase's start and end. */
function focusTimes(v: Measured, ref: string, value: number | null): { series: string; times: number[]; phase: string | null } {
  const at = ref.indexOf('@');
  const named = at > 0 ? ref.slice(0, at) : '';
  // the series shown: the left side's own when the sampler reads it, RSS otherwise
  const series = sampleAccessor(named) ? named : 'rss';
  const get = sampleAccessor(series)!;
  const selector = at > 0 ? ref.slice(at + 1) : 'last';
  const colon = selector.indexOf(':');
  const how = colon < 0 ? selector : selector.slice(0, colon);
  const phase = colon < 0 ? null : selector.slice(colon + 1);
  const w = phase === null ? null : phaseWindow(v.marks, phase);
  const inWindow = v.samples.filter((s) => !w || (s.tMs >= w.startMs && s.tMs <= w.endMs));
  if (inWindow.length === 0) return { series, times: [], phase };
  const first = inWindow[0]!.tMs;
  const last = inWindow[inWindow.length - 1]!.tMs;
  if (how === 'start' || how === 'first') return { series, times: [first], phase };
  if (how === 'end' || how === 'last') return { series, times: [last], phase };
  if ((how === 'max' || how === 'min') && value !== null && series === named) {
    const hit = inWindow.find((s) => get(s) === value);
    if (hit) return { series, times: [hit.tMs], phase };
  }
  return { series, times: [first, last], phase };
}

/** The sampled series around the focus times, one row per sample, marks named, gaps as "…". */
function seriesRows(v: Measured, series: string, times: number[]): string[] {
  const get = sampleAccessor(series)!;
  const s = v.samples;
  const keep = new Set<number>();
  for (const t of times) {
    let i = s.findIndex((x) => x.tMs >= t);
    if (i < 0) i = s.length - 1;
    for (let k = Math.max(0, i - AROUND); k <= Math.min(s.length - 1, i + AROUND); k++) keep.add(k);
  }
  const rows: string[] = [];
  let prev = -1;
  const bytes = unitOf(`${series}@last`) === 'bytes';
  for (const i of [...keep].sort((a, b) => a - b)) {
    if (prev >= 0 && i > prev + 1) rows.push('             …');
    prev = i;
    const x = s[i]!;
    const mark = v.marks.find((m) => Math.abs(m.tMs - x.tMs) < 0.5 || (m.tMs <= x.tMs && (s[i - 1]?.tMs ?? -Infinity) < m.tMs));
    const value = get(x);
    const shown = value === null ? '—' : bytes ? (value / 1048576).toFixed(1) : formatValue(series, value);
    const focus = times.some((t) => Math.abs(t - x.tMs) < 0.5) ? '▸' : ' ';
    rows.push(`    ${focus} ${(x.tMs / 1000).toFixed(3).padStart(8)}  ${(mark ? mark.phase : '').padEnd(10)} ${shown.padStart(8)}`);
  }
  return rows;
}

/** One failed expectation, several lines, no colour. */
export function explainExpectation(v: Measured, e: ExpectationResult, rightRefValue: number | null = null): string {
  const lines = [`memory expectation failed: ${e.text}`];
  if (e.leftValue === null || e.rightValue === null) {
    lines.push(`  ${e.reason ?? `no data for ${e.leftValue === null ? e.left : String(e.right)}`}`);
    lines.push(`  phases seen: ${v.marks.map((m) => `${m.phase} at ${seconds(m.tMs)}`).join(', ') || 'none'}`);
    return lines.join('\n');
  }
  lines.push(`  expected  ${expectedText(e, rightRefValue)}`);
  lines.push(`  measured  ${e.left} = ${formatValue(e.left, e.leftValue)}${missText(e)}`);
  const { series, times, phase } = focusTimes(v, e.left, e.leftValue);
  const shownPhase = phase ?? (times.length ? phaseAt(v.marks, times[0]!)?.phase : null) ?? null;
  if (shownPhase) {
    const m = v.marks.find((x) => x.phase === shownPhase);
    lines.push(`  phase     ${shownPhase}${m ? ` (from ${seconds(m.tMs)}${m.label && m.label !== shownPhase ? `: ${m.label}` : ''})` : ''}`);
  }
  if (times.length) {
    const unit = unitOf(`${series}@last`) === 'bytes' ? ' (MiB)' : '';
    lines.push(`  ${series}${unit} around it (t in s; ▸ where it was measured):`, ...seriesRows(v, series, times));
  }
  return lines.join('\n');
}

/**
 * Everything that went wrong in a measured variant: the command's own failure, then each failed
 * expectation explained. '' when nothing failed.
 */
export function explainFailures(v: Measured): string {
  const blocks: string[] = [];
  if (v.status !== 'ok') {
    const why = v.failure?.reason ?? `status ${v.status}`;
    const tail = v.failure?.stderrTail ? `\n  stderr:\n${v.failure.stderrTail.split('\n').map((l) => `    ${l}`).join('\n')}` : '';
    blocks.push(`${v.label}: ${why}${tail}`);
  }
  for (const e of v.expectations) {
    if (e.status !== 'failed') continue;
    // the right-hand metric's own value, undoing factor and offset
    const f = e.factor ?? 1;
    const own = typeof e.right === 'string' && e.rightValue !== null && f !== 0 ? (e.rightValue - (e.offset ?? 0)) / f : null;
    blocks.push(explainExpectation(v, e, own));
  }
  return blocks.join('\n\n');
}
