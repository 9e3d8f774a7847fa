// A Markdown summary fit for $GITHUB_STEP_SUMMARY: per experiment the machine in one line, a table
// of variants × headline figures, the expectations (failed ones with both sides' values) and what
// was skipped and why. GitHub renders it; nothing from the Run can break out of a table cell.
import type { Run } from '../run/schema.js';
import { variantRunName } from './series.js';
import { countExpectations, describeComparison, formatCounts, formatHeadline, machineLine, statusMark } from './summary.js';
import { formatMs } from './units.js';
import { repeatTable } from './repeat-table.js';
import { experimentAgreement } from '../check/agreement.js';
import { agreementCells, rankText, VERDICT_TEXT } from './agreement.js';
import { isReal } from '../run/subject.js';
import { terminalText } from '../run/sanitize.js';
import { runNotes } from './absent.js';
import type { ExperimentMatrix } from './matrix-model.js';
import { renderMatrixMarkdown } from './matrix-markdown.js';

/** Text for a table cell or a list line: no pipes, no line breaks, no HTML, no Markdown emphasis. */
export function escapeMarkdown(text: string): string {
  return terminalText(text.replace(/\r?\n/g, ' '))
    .replace(/[\\`*_{}[\]<>|#~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;');
}

const md = escapeMarkdown;

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** Replay and real side by side (a Run made with --real, or by rsslab validate). */
export function agreementMarkdown(run: Run): string[] {
  const a = experimentAgreement(run);
  const out = [`#### Replay and real side by side: ${md(VERDICT_TEXT[a.verdict])}`, ''];
  const cells = agreementCells(a);
  if (cells.rows.length) out.push(...table(cells.head.map(md), cells.rows.map((r) => r.map(md))), '');
  for (const r of a.ranks) out.push(...rankText(r).split('\n').map((l) => `- ${md(l.trim())}`));
  for (const p of a.problems) out.push(`- ✗ ${md(p)}`);
  for (const n of a.notes) out.push(`- ${md(n)}`);
  out.push('');
  return out;
}

export function renderRunMarkdown(run: Run): string {
  const x = run.experiment;
  const lines: string[] = [];
  lines.push(`### ${md(x.title)} (\`${terminalText(x.id).replace(/`/g, '')}\`)`, '');
  lines.push(`${md(x.summary)}`, '');
  lines.push(`*${md(machineLine(run))} · ${md(x.profile)} profile · ${md(formatMs(run.durationMs))}*`, '');
  const head = ['variant', 'status', ...x.headline.map((h) => md(h.label)), 'expectations'];
  const rows = run.variants.map((v) => [
    `${md(variantRunName(v, run.variants))}${v.label && v.label !== v.variant ? ` (${md(v.label)})` : ''}`,
    v.status === 'ok' ? 'ok' : v.status === 'failed' ? '**failed**' : 'skipped',
    ...x.headline.map((h) => md(formatHeadline(v, h.metric))),
    md(formatCounts(countExpectations(v.expectations))),
  ]);
  for (const line of table(head, rows)) lines.push(line);
  lines.push('');
  if (run.variants.some(isReal)) lines.push(...agreementMarkdown(run));
  const spread = repeatTable(run);
  if (spread) lines.push(md(spread.note), '', table(spread.head.map(md), spread.rows.map((r) => r.map(md))).join('\n'), '');

  const notHeld = run.variants.flatMap((v) =>
    v.expectations
      .filter((e) => e.status !== 'held')
      .map((e) => {
        const what = e.status === 'failed' ? `— \`${terminalText(describeComparison(e)).replace(/`/g, '')}\`` : `— skipped${e.reason ? `: ${md(e.reason)}` : ''}`;
        return `- ${statusMark(e.status)} **${md(variantRunName(v, run.variants))}**: ${md(e.text)} ${what}`;
      }),
  );
  const held = run.variants.reduce((n, v) => n + countExpectations(v.expectations).held, 0);
  if (notHeld.length) lines.push(`Expectations: ${held} held; not held:`, '', notHeld.join('\n'), '');
  else if (held) lines.push(`Expectations: all ${held} held.`, '');

  const problems: string[] = [];
  for (const s of run.skipped) problems.push(`- **${md(s.variant)}${s.counterpart ? ` (real ${md(s.counterpart)})` : ''}** skipped: ${md(s.reason)}`);
  for (const v of run.variants) {
    if (v.status !== 'ok') problems.push(`- **${md(variantRunName(v, run.variants))}** ${v.status}: ${md(v.failure?.reason ?? 'no reason recorded')}`);
    for (const k of v.settings.skippedSettings) problems.push(`- **${md(variantRunName(v, run.variants))}** ran without ${md(k.what)}: ${md(k.reason)}`);
  }
  if (problems.length) lines.push('Skipped and failed:', '', problems.join('\n'), '');
  const notes = runNotes(run);
  if (notes.length) lines.push('Not shown, and why:', '', notes.map((n) => `- ${md(n)}`).join('\n'), '');
  return lines.join('\n');
}

export interface MarkdownOptions {
  /** cross-machine comparisons, written before the Runs (matrix-model.ts) */
  matrices?: ExperimentMatrix[];
  /** false: the comparisons only (`rsslab report --matrix only`) */
  runSections?: boolean;
}

export function renderMarkdown(runs: Run[], opts: MarkdownOptions = {}): string {
  const matrices = opts.matrices?.length ? `${renderMatrixMarkdown(opts.matrices)}\n` : '';
  return `## rsslab\n\n${matrices}${opts.runSections === false ? '' : runs.map(renderRunMarkdown).join('\n')}`;
}
