// How `rsslab compare` shows its result: a terminal table and a Markdown summary (for
// $GITHUB_STEP_SUMMARY), both from the same rows. Every row says its verdict and why; a regression
// is listed again below the table with both medians, the thresholds and the test.
import Table from 'cli-table3';
import { formatValue } from './units.js';
import { escapeMarkdown } from './markdown.js';
import { terminalSafe } from '../run/sanitize.js';
import type { CompareResult, MetricComparison, Verdict } from '../check/compare.js';
import type { Stats } from '../check/stats.js';
import { CORRECTION_NAMES } from '../check/multiplicity.js';
import { mismatchText } from '../check/environment.js';

const VERDICT_TEXT: Record<Verdict, string> = {
  regression: '✗ regression',
  improved: '✓ improved',
  unchanged: 'ok',
  noise: '~ noise',
  'not-judged': 'not judged',
  'no-data': 'no data',
};

function side(metric: string, s: Stats | null): string {
  if (!s) return '—';
  const spread = s.n > 1 && s.min !== s.max ? ` [${formatValue(metric, s.min)}–${formatValue(metric, s.max)}]` : '';
  return `${formatValue(metric, s.median)}${spread} (n=${s.n})`;
}

function change(r: MetricComparison): string {
  if (r.delta === null || r.deltaRel === null) return '—';
  const sign = r.delta > 0 ? '+' : r.delta < 0 ? '−' : '±';
  const rel = Number.isFinite(r.deltaRel) ? `${(Math.abs(r.deltaRel) * 100).toFixed(1)}%` : 'from 0';
  return `${sign}${formatValue(r.metric, Math.abs(r.delta))} (${sign === '±' ? '' : sign}${rel})`;
}

const fmtP = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

/** The test's p and, when a correction changed it, the adjusted p that was compared with α. */
function pText(r: MetricComparison): string {
  if (r.p === null) return '—';
  return r.pAdjusted === null || r.pAdjusted === r.p ? fmtP(r.p) : `${fmtP(r.p)} → ${fmtP(r.pAdjusted)}`;
}

function cells(r: MetricComparison): string[] {
  return [`${r.experimentId}/${r.variant}`, r.metric, side(r.metric, r.baseline), side(r.metric, r.candidate), change(r), pText(r), VERDICT_TEXT[r.verdict]];
}

const HEAD = ['experiment/variant', 'metric', 'baseline median [min–max]', 'candidate median [min–max]', 'change', 'p → adjusted', 'verdict'];

/** How the figures were tested together, and what the repeats can and cannot show. */
export function correctionLine(result: CompareResult): string {
  const c = result.correction;
  if (c.family === 0) return 'No figure had repeats on both sides: nothing was tested for noise.';
  const how = c.method === 'none' ? `${c.family} figures tested, each at α = ${result.alpha} (no correction for testing many)` : `${c.family} figures tested together, ${CORRECTION_NAMES[c.method]} at α = ${result.alpha}`;
  const cannot = c.repeatsNeeded !== null && c.smallestP !== null
    ? `; with these repeats the smallest adjusted p one figure can reach is ${fmtP(c.smallestP)} > α, so the test can call nothing a regression: run ${c.repeatsNeeded} or more repeats a side (rsslab compare --interleave, docs/ci.md)`
    : '';
  return `${how}${cannot}.`;
}

function environmentLines(result: CompareResult): string[] {
  return result.environment.map(mismatchText);
}

function envHead(result: CompareResult): string {
  return result.interleaved
    ? 'Environment changed while the interleaved rounds ran (something else changed the machine meanwhile: the two sides may not have seen the same settings):'
    : 'Environment differs (the test cannot tell these from a change of the code; compare runs made on the same machine, e.g. with --interleave):';
}

function thresholdText(r: MetricComparison): string {
  return `worse = ${r.threshold.direction === 'higher' ? 'bigger' : 'smaller'}; thresholds ${(r.threshold.rel * 100).toFixed(0)}% and ${formatValue(r.metric, r.threshold.abs)}`;
}

/** One line per regression: what, by how much, against which thresholds, and the test's say. */
export function regressionLines(result: CompareResult): string[] {
  const lines: string[] = [];
  for (const r of result.rows.filter((x) => x.verdict === 'regression')) {
    lines.push(`${r.experimentId}/${r.variant} ${r.metric}: ${side(r.metric, r.baseline)} → ${side(r.metric, r.candidate)}, ${change(r)} (${thresholdText(r)}); ${r.reason}`);
  }
  for (const i of result.issues.filter((x) => x.regression)) lines.push(`${i.experimentId}/${i.variant}: ${i.message}`);
  return lines;
}

export function verdictLine(result: CompareResult): string {
  const judged = result.rows.filter((r) => r.verdict !== 'not-judged' && r.verdict !== 'no-data').length;
  return result.regressions
    ? `${result.regressions} regression${result.regressions === 1 ? '' : 's'} beyond the thresholds (${judged} figures judged)`
    : `no regression (${judged} figures judged, ${result.rows.filter((r) => r.verdict === 'noise').length} within noise)`;
}

export function renderCompareTerminal(given: CompareResult): string {
  // names, metrics and notes come from the Run files: shown, never obeyed (src/run/sanitize.ts)
  const result = terminalSafe(given);
  const table = new Table({ head: HEAD, style: { head: [], border: [], compact: true }, wordWrap: true });
  for (const r of result.rows) table.push(cells(r));
  const out = [table.toString()];
  const regressions = regressionLines(result);
  if (regressions.length) out.push('Regressions:', regressions.map((l) => `  ✗ ${l}`).join('\n'));
  const env = environmentLines(result);
  if (env.length) out.push(`⚠ ${envHead(result)}`, env.map((l) => `  - ${l}`).join('\n'));
  const other = result.issues.filter((i) => !i.regression);
  if (other.length || result.notes.length) out.push('Notes:', [...other.map((i) => `  - ${i.experimentId}/${i.variant}: ${i.message}`), ...result.notes.map((n) => `  - ${n}`)].join('\n'));
  out.push(correctionLine(result));
  const noTest = result.rows.find((r) => r.test === 'none' && (r.verdict === 'regression' || r.verdict === 'improved'));
  if (noTest) out.push(`(${noTest.reason})`);
  out.push(verdictLine(result));
  return out.join('\n') + '\n';
}

export function renderCompareMarkdown(result: CompareResult): string {
  const md = escapeMarkdown;
  const lines: string[] = ['## rsslab compare', ''];
  lines.push(result.regressions ? `**❌ ${md(verdictLine(result))}**` : `✅ ${md(verdictLine(result))}`, '');
  const regressions = regressionLines(result);
  if (regressions.length) lines.push(regressions.map((l) => `- ✗ ${md(l)}`).join('\n'), '');
  lines.push(`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i < 2 || i === HEAD.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const r of result.rows) {
    const c = cells(r).map(md);
    if (r.verdict === 'regression') c[c.length - 1] = `**${c[c.length - 1]}**`;
    lines.push(`| ${c.join(' | ')} |`);
  }
  lines.push('');
  const env = environmentLines(result);
  if (env.length) lines.push(`**⚠ ${md(envHead(result))}**`, '', env.map((l) => `- ${md(l)}`).join('\n'), '');
  const other = result.issues.filter((i) => !i.regression);
  if (other.length || result.notes.length) lines.push('Notes:', '', [...other.map((i) => `- ${md(`${i.experimentId}/${i.variant}: ${i.message}`)}`), ...result.notes.map((n) => `- ${md(n)}`)].join('\n'), '');
  lines.push(
    md(correctionLine(result)),
    '',
    `*A regression: the median moved the worse way by more than both thresholds and, with repeats, a one-sided exact permutation test gave an adjusted p ≤ ${result.alpha}. Bigger is worse for memory figures; figures whose direction the name does not tell are shown, not judged.*`,
    '',
  );
  return lines.join('\n');
}
