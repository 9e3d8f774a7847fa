// The cross-machine comparison as Markdown for $GITHUB_STEP_SUMMARY: the same model as the terminal
// table (matrix-model.ts). Settings that differ head the table as its first rows (Markdown has no
// spanning cells); held/failed/skipped carry a mark so they read without colour; nothing from a Run
// can break out of a cell (escapeMarkdown).
import type { ExperimentMatrix, MatrixCell } from './matrix-model.js';
import { escapeMarkdown as md } from './markdown.js';
import { cellText, columnLegend, dependentRows, followsShort, matrixTitle, rowName } from './matrix-text.js';

const MARK: Record<string, string> = { held: '✓ ', ran: '✓ ', failed: '✗ ', skipped: '– ', mixed: '~ ' };

function cell(c: MatrixCell): string {
  const text = md(cellText(c));
  return c.outcome === 'failed' ? `**${MARK.failed}${text}**` : `${c.outcome ? (MARK[c.outcome] ?? '') : ''}${text}`;
}

export function renderMatrixMarkdown(matrices: ExperimentMatrix[]): string {
  const lines: string[] = [];
  for (const m of matrices) {
    lines.push(`### ${md(matrixTitle(m))}`, '');
    lines.push(`| | ${m.columns.map((c) => c.id).join(' | ')} | follows |`, `|---|${m.columns.map(() => '---').join('|')}|---|`);
    for (const h of m.header) lines.push(`| *${md(h.label)}* | ${h.values.map((v) => md(v ?? '?')).join(' | ')} | |`);
    for (const v of m.variants) {
      lines.push(`| **${md(v.name)}**${v.label && v.label !== v.name ? ` ${md(v.label)}` : ''} |${m.columns.map(() => ' ').join('|')}| |`);
      for (const h of v.inForce) lines.push(`| ↳ *${md(h.label)}* | ${h.values.map((x) => md(x ?? '—')).join(' | ')} | |`);
      for (const row of [v.status, ...v.effects]) {
        const name = row.kind === 'status' ? rowName(row) : `\`${md(row.id).replace(/`/g, '')}\` ${md(row.text)}`;
        const follows = followsShort(row.dependence);
        lines.push(`| ↳ ${name} | ${row.cells.map(cell).join(' | ')} | ${follows ? `**${md(follows)}**` : ''} |`);
      }
      for (const f of v.figures) {
        const follows = followsShort(f.dependence);
        lines.push(`| ↳ ${md(f.label)} | ${f.cells.map(md).join(' | ')} | ${follows ? `**${md(follows)}**` : ''} |`);
      }
    }
    lines.push('');
    const rows = dependentRows(m);
    if (rows.length) lines.push('Which settings the differences follow:', '', ...rows.map((r) => `- **${md(r.variant)} · ${md(r.name)}**${r.detail ? ` (${md(r.detail)})` : ''}: ${md(r.text)}`), '');
    else lines.push('Every variant and expectation came out the same on every Run.', '');
    lines.push(...m.columns.map((c) => `- ${md(columnLegend(c))}`), '');
    if (m.reasons.length) lines.push(...m.reasons.map((r, i) => `${i + 1}. ${md(r)}`), '');
    for (const n of m.notes) lines.push(`> **Note:** ${md(n)}`, '');
  }
  return lines.join('\n');
}
