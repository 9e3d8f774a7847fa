// A Markdown summary fit for $GITHUB_STEP_SUMMARY: per experiment the machine in one line, a table
// of variants × headline figures, the expectations (failed ones with both sides' values) and what
// was skipped and why. GitHub renders it; nothing from the Run can break out of a table cell.
import type { Run } from '../run/schema.js';
import { variantRunName } from './series.js';
import { countExpectations, describeComparison, formatCounts, formatHeadline, machineLine, statusMark } from './summary.js';
import { formatMs } from './units.js';
import { repeatTable } from './repeat-table.js';
import { runNotes } from './absent.js';

/** Text for a table cell or a list line: no pipes, no line breaks, no HTML, no Markdown emphasis. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*_{}[\]<>|#~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;');
}

const md = escapeMarkdown;

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export function renderRunMarkdown(run: Run): string {
  const x = run.experiment;
  const lines: string[] = [];
  lines.push(`### ${md(x.title)} (\`${x.id.replace(/`/g, '')}\`)`, '');
  lines.push(`${md(x.summary)}`, '');
  lines.push(`*${md(machineLine(run))} · ${md(x.profile)} profile · ${md(formatMs(run.durationMs))}*`, '');
  const head = ['variant', 'status', ...x.headline.map((h) => md(h.label)), 'expectations'];
  const rows = run.variants.map((v) => [
    `${md(variantRunName(v, run.variants))}${v.label && v.label !== v.variant ? ` (${md(v.label)})` : ''}`,
    v.status === 'ok' ? 'ok' : v.status === 'failed' ? '**failed**' : 'skipped',
    ...x.headline.map((h) => md(formatHeadline(v, h.metric))),
    md(formatCounts(countExpectations(v.expectations))),
  ]);
  lines.push(...table(head, rows), '');
  const spread = repeatTable(run);
  if (spread) lines.push(md(spread.note), '', ...table(spread.head.map(md), spread.rows.map((r) => r.map(md))), '');

  const notHeld = run.variants.flatMap((v) =>
    v.expectations
      .filter((e) => e.status !== 'held')
      .map((e) => {
        const what = e.status === 'failed' ? `— \`${describeComparison(e).replace(/`/g, '')}\`` : `— skipped${e.reason ? `: ${md(e.reason)}` : ''}`;
        return `- ${statusMark(e.status)} **${md(variantRunName(v, run.variants))}**: ${md(e.text)} ${what}`;
      }),
  );
  const held = run.variants.reduce((n, v) => n + countExpectations(v.expectations).held, 0);
  if (notHeld.length) lines.push(`Expectations: ${held} held; not held:`, '', ...notHeld, '');
  else if (held) lines.push(`Expectations: all ${held} held.`, '');

  const problems: string[] = [];
  for (const s of run.skipped) problems.push(`- **${md(s.variant)}** skipped: ${md(s.reason)}`);
  for (const v of run.variants) {
    if (v.status !== 'ok') problems.push(`- **${md(variantRunName(v, run.variants))}** ${v.status}: ${md(v.failure?.reason ?? 'no reason recorded')}`);
    for (const k of v.settings.skippedSettings) problems.push(`- **${md(variantRunName(v, run.variants))}** ran without ${md(k.what)}: ${md(k.reason)}`);
  }
  if (problems.length) lines.push('Skipped and failed:', '', ...problems, '');
  const notes = runNotes(run);
  if (notes.length) lines.push('Not shown, and why:', '', ...notes.map((n) => `- ${md(n)}`), '');
  return lines.join('\n');
}

export function renderMarkdown(runs: Run[]): string {
  return `## rsslab\n\n${runs.map(renderRunMarkdown).join('\n')}`;
}
