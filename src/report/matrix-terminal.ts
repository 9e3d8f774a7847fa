// The cross-machine comparison in a terminal: one table per experiment (columns m1…mN are the Runs,
// headed by the settings that differ between them; per variant whether it ran, each expectation and
// the headline figures; a last column naming the settings a row follows), then the sentences behind
// that column, the column legend, the numbered reasons and the notes. Colour only on a TTY.
import Table from 'cli-table3';
import type { ExperimentMatrix, MatrixCell } from './matrix-model.js';
import { cellText, columnLegend, dependentRows, followsShort, matrixTitle, rowName } from './matrix-text.js';
import { terminalSafe } from '../run/sanitize.js';

interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  outcome(c: MatrixCell, s: string): string;
}

function painter(color: boolean): Paint {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  const green = wrap(32, 39);
  const red = wrap(31, 39);
  const yellow = wrap(33, 39);
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    outcome: (c, s) => (c.outcome === 'held' || c.outcome === 'ran' ? green(s) : c.outcome === 'failed' ? red(s) : c.outcome === 'skipped' || c.outcome === 'mixed' ? yellow(s) : s),
  };
}

/** Header cells: a run of equal values is one cell spanning them, so a reader sees the groups. */
function spans(values: Array<string | null>): Array<{ content: string; colSpan?: number }> {
  const out: Array<{ content: string; colSpan?: number }> = [];
  for (let i = 0; i < values.length; ) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j++;
    out.push(j - i > 1 ? { content: values[i] ?? '?', colSpan: j - i } : { content: values[i] ?? '?' });
    i = j;
  }
  return out;
}

function matrixTable(m: ExperimentMatrix, p: Paint): string {
  const n = m.columns.length;
  const table = new Table({ head: ['', ...m.columns.map((c) => c.id), 'follows'], style: { head: [], border: [], compact: true }, wordWrap: true });
  for (const h of m.header) table.push([p.dim(h.label), ...spans(h.values), '']);
  for (const v of m.variants) {
    table.push([{ content: p.bold(`${v.name}${v.label && v.label !== v.name ? ` — ${v.label}` : ''}`), colSpan: n + 2 }]);
    for (const h of v.inForce) table.push([p.dim(`  ${h.label}`), ...spans(h.values), '']);
    for (const row of [v.status, ...v.effects]) table.push([`  ${rowName(row)}`, ...row.cells.map((c) => p.outcome(c, cellText(c))), followsShort(row.dependence)]);
    for (const f of v.figures) table.push([p.dim(`  ${f.label}`), ...f.cells, followsShort(f.dependence)]);
  }
  return table.toString();
}

export function renderMatrixTerminal(given: ExperimentMatrix[], opts: { color?: boolean } = {}): string {
  const p = painter(opts.color ?? false);
  const out: string[] = [];
  for (const raw of given) {
    // every string in the model came from a Run file: shown, never obeyed by the terminal
    const m = terminalSafe(raw);
    out.push(p.bold(matrixTitle(m)));
    out.push(matrixTable(m, p));
    const rows = dependentRows(m);
    if (rows.length) out.push('Which settings the differences follow:', ...rows.map((r) => `  ${r.variant} · ${r.name}${r.detail ? ` (${r.detail})` : ''}: ${r.text}`));
    else out.push('Every variant and expectation came out the same on every Run.');
    out.push('Columns:', ...m.columns.map((c) => `  ${columnLegend(c)}`));
    if (m.reasons.length) out.push('Reasons:', ...m.reasons.map((r, i) => `  [${i + 1}] ${r}`));
    for (const note of m.notes) out.push(`Note: ${note}`);
    out.push('');
  }
  return out.join('\n');
}
