// How `rsslab compare` shows its result: a terminal table and a Markdown summary (for
// $GITHUB_STEP_SUMMARY), both from the same rows. Every row says its verdict and why; a regression
// is listed again below the table with both medians, the thresholds and the test.
import Table from 'cli-table3';
import { formatValue } from './units.js';
import { escapeMarkdown } from './markdown.js';
import { terminalSafe } from '../run/sanitize.js';
import type { CompareResult, MetricComparison, Verdict } from '../check/compare.js';
import type { Stats } from '../check/stats.js';

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

function pText(r: MetricComparison): string {
  return r.p === null ? '—' : r.p.toFixed(3);
}

function cells(r: MetricComparison): string[] {
  return [`${r.experimentId}/${r.variant}`, r.metric, side(r.metric, r.baseline), side(r.metric, r.candidate), change(r), pText(r), VERDICT_TEXT[r.verdict]];
}

const HEAD = ['experiment/variant', 'metric', 'baseline median [min–max]', 'candidate median [min–max]', 'change', 'p', 'verdict'];

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
  const other = result.issues.filter((i) => !i.regression);
  if (other.length || result.notes.length) out.push('Notes:', [...other.map((i) => `  - ${i.experimentId}/${i.variant}: ${i.message}`), ...result.notes.map((n) => `  - ${n}`)].join('\n'));
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
  const other = result.issues.filter((i) => !i.regression);
  if (other.length || result.notes.length) lines.push('Notes:', '', [...other.map((i) => `- ${md(`${i.experimentId}/${i.variant}: ${i.message}`)}`), ...result.notes.map((n) => `- ${md(n)}`)].join('\n'), '');
  lines.push(
    `*A regression: the median moved the worse way by more than both thresholds and, with repeats, a one-sided exact permutation test gave p ≤ ${result.alpha}. Bigger is worse for memory figures; figures whose direction the name does not tell are shown, not judged.*`,
    '',
  );
  return lines.join('\n');
}
