// The end-of-run summary in a terminal: per experiment a table of variants × headline figures and
// expectations, a sparkline of RSS over time per variant on one shared scale, the failed
// expectations with both sides' values, and what was skipped and why. Colour only on a TTY.
import Table from 'cli-table3';
import type { Run } from '../run/schema.js';
import { seriesPoints, variantRunName } from './series.js';
import { resampleMax, sparkline } from './sparkline.js';
import { countExpectations, describeComparison, formatCounts, formatHeadline, machineLine, variantStatusText } from './summary.js';
import { formatBytes, formatMs } from './units.js';
import { repeatTable } from './repeat-table.js';
import { experimentAgreement } from '../check/agreement.js';
import { renderAgreementTerminal } from './agreement.js';
import { isReal } from '../run/subject.js';

export interface TerminalOptions {
  /** ANSI colour; default: off (callers pass stream.isTTY && CI !== 'true') */
  color?: boolean;
  /** sparkline width in cells */
  sparkWidth?: number;
}

interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

function painter(color: boolean): Paint {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39) };
}

/** Headers wrap onto several lines so that seven headline figures still fit a terminal. */
const HEADER_WIDTH = 14;

function variantTable(run: Run, p: Paint): string {
  const headline = run.experiment.headline;
  const rows = run.variants.map((v) => {
    const counts = countExpectations(v.expectations);
    const exp = formatCounts(counts);
    return {
      plain: [variantRunName({ ...v, label: v.variant }, run.variants), v.status, ...headline.map((h) => formatHeadline(v, h.metric)), exp],
      status: v.status === 'ok' ? p.green('ok') : v.status === 'failed' ? p.red('failed') : p.yellow('skipped'),
      exp: counts.failed ? p.red(exp) : counts.held ? p.green(exp) : exp,
    };
  });
  const head = ['variant', 'status', ...headline.map((h) => h.label), 'expectations'];
  const colWidths = head.map((h, i) => 2 + Math.max(Math.min(h.length, HEADER_WIDTH), ...rows.map((r) => r.plain[i]!.length)));
  const table = new Table({
    head,
    colWidths,
    wordWrap: true,
    // cli-table3 colours headers and borders by default; a pipe or CI log must get plain text
    style: { head: [], border: [], compact: true },
  });
  for (const r of rows) table.push([r.plain[0]!, r.status, ...r.plain.slice(2, -1), r.exp]);
  return table.toString();
}

/** With --repeat N > 1: median [min–max] per variant and headline figure (src/check/stats.ts). */
function spreadTable(run: Run): string[] {
  const t = repeatTable(run);
  if (!t) return [];
  const colWidths = t.head.map((h, i) => 2 + Math.max(Math.min(h.length, HEADER_WIDTH), ...t.rows.map((r) => r[i]!.length)));
  const table = new Table({ head: t.head, colWidths, wordWrap: true, style: { head: [], border: [], compact: true } });
  for (const r of t.rows) table.push(r);
  return [t.note, table.toString()];
}

function sparklines(run: Run, width: number): string[] {
  const withData = run.variants.filter((v) => v.samples.length > 0);
  if (withData.length === 0) return [];
  const all = withData.map((v) => ({ v, points: seriesPoints(v, 'rss') }));
  const t1 = Math.max(...all.flatMap((a) => a.points.map((q) => q.tMs)), 1);
  const max = Math.max(...all.flatMap((a) => a.points.map((q) => q.value)), 1);
  const short = (v: (typeof all)[number]['v']): string => variantRunName({ ...v, label: v.variant }, run.variants);
  const nameWidth = Math.max(...all.map((a) => short(a.v).length));
  const lines = [`RSS over time (0–${formatMs(t1)}, scale 0–${formatBytes(max)}):`];
  for (const { v, points } of all) {
    const cells = resampleMax(points, width, 0, t1);
    const peak = Math.max(...points.map((q) => q.value));
    const end = points[points.length - 1]?.value ?? 0;
    lines.push(`  ${short(v).padEnd(nameWidth)}  ${sparkline(cells, 0, max)}  peak ${formatBytes(peak)}, end ${formatBytes(end)}`);
  }
  return lines;
}

function expectationLines(run: Run, p: Paint): string[] {
  const lines: string[] = [];
  for (const v of run.variants) {
    const name = variantRunName(v, run.variants);
    for (const e of v.expectations) {
      if (e.status === 'failed') lines.push(`  ${p.red('✗')} ${name}: ${e.text} — ${describeComparison(e)}`);
      else if (e.status === 'skipped') lines.push(`  ${p.yellow('–')} ${name}: ${e.text} — skipped${e.reason ? `: ${e.reason}` : ''}`);
    }
  }
  return lines;
}

function problemLines(run: Run, p: Paint): string[] {
  const lines: string[] = [];
  for (const s of run.skipped) lines.push(`  ${p.yellow('skipped')} ${s.variant}${s.counterpart ? ` (real ${s.counterpart})` : ''}: ${s.reason}`);
  for (const v of run.variants) {
    if (v.status === 'failed') {
      const tail = v.failure?.stderrTail.trim().split('\n').slice(-3).join(' ⏎ ');
      lines.push(`  ${p.red('failed')} ${variantRunName(v, run.variants)}: ${variantStatusText(v).replace(/^failed: /, '')}${tail ? ` (stderr: ${tail})` : ''}`);
    }
    if (v.status === 'skipped') lines.push(`  ${p.yellow('skipped')} ${variantRunName(v, run.variants)}: ${v.failure?.reason ?? 'no reason recorded'}`);
    for (const s of v.settings.skippedSettings) lines.push(`  ${p.dim('not applied')} ${variantRunName(v, run.variants)}: ${s.what} — ${s.reason}`);
  }
  return lines;
}

export function renderRunSummary(run: Run, opts: TerminalOptions = {}): string {
  const p = painter(opts.color ?? false);
  const e = run.experiment;
  const out: string[] = [];
  out.push(p.bold(`${e.id} — ${e.title}`) + p.dim(` (${e.profile} profile, ${formatMs(run.durationMs)})`));
  out.push(p.dim(machineLine(run)));
  out.push(variantTable(run, p));
  out.push(...spreadTable(run));
  // a Run made with --real: replay and real side by side (the table `rsslab validate` prints)
  if (run.variants.some(isReal)) out.push(renderAgreementTerminal(experimentAgreement(run)).trimEnd());
  out.push(...sparklines(run, opts.sparkWidth ?? 40));
  const exp = expectationLines(run, p);
  if (exp.length) out.push('Expectations failed or skipped:', ...exp);
  const problems = problemLines(run, p);
  if (problems.length) out.push('Skipped and failed:', ...problems);
  return out.join('\n');
}

/** The summary of every run, separated by a blank line; ends with a newline. */
export function renderTerminalSummary(runs: Run[], opts: TerminalOptions = {}): string {
  return runs.map((r) => renderRunSummary(r, opts)).join('\n\n') + '\n';
}
