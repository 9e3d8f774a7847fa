// The cross-machine comparison in the HTML report: the same model as the terminal and Markdown
// (matrix-model.ts), drawn as one table per experiment whose header rows group the Runs by the
// settings that differ (equal neighbours span one cell), with each cell coloured by its outcome, the
// reason in its tooltip and under the table, and the settings a row follows highlighted beside it.
import type { ExperimentMatrix, HeaderRow, MatrixCell } from './matrix-model.js';
import { escapeHtml as e } from './escape.js';
import { cellText, columnLegend, dependentRows, followsShort, matrixTitle, rowName } from './matrix-text.js';

export const MATRIX_CSS = `
table.matrix td.cell-held, table.matrix td.cell-ran { background: #e6f4ea; color: #0b5d2a; }
table.matrix td.cell-failed { background: #fbe3e1; color: #a12a1d; font-weight: 600; }
table.matrix td.cell-skipped, table.matrix td.cell-mixed { background: #fdf5d9; color: #6b5400; }
table.matrix th.setting { background: var(--band); font-weight: normal; white-space: nowrap; }
table.matrix tr.variant th { text-align: left; background: #f0f2f5; }
table.matrix td.follows { font-weight: 600; color: #5b2a86; }
table.matrix td.follows:empty { background: transparent; }
.matrix-notes li { margin: 2px 0; }
`;

function headerRow(h: HeaderRow, inForce: boolean): string {
  const cells: string[] = [];
  for (let i = 0; i < h.values.length; ) {
    let j = i + 1;
    while (j < h.values.length && h.values[j] === h.values[i]) j++;
    cells.push(`<th class="setting"${j - i > 1 ? ` colspan="${j - i}"` : ''}>${e(h.values[i] ?? (inForce ? '—' : '?'))}</th>`);
    i = j;
  }
  return `<tr class="${inForce ? 'in-force' : 'machine'}"><th class="setting">${inForce ? '↳ ' : ''}${e(h.label)}</th>${cells.join('')}<td></td></tr>`;
}

function cell(c: MatrixCell, reasons: string[]): string {
  const why = c.reason !== null ? reasons[c.reason - 1] : undefined;
  return `<td class="cell-${e(c.outcome ?? 'none').replace(/\s+/g, '-')}"${why ? ` title="${e(why)}"` : ''}>${e(cellText(c))}</td>`;
}

function table(m: ExperimentMatrix): string {
  const n = m.columns.length;
  const head = `<thead><tr><th></th>${m.columns.map((c) => `<th title="${e(columnLegend(c))}">${e(c.id)}</th>`).join('')}<th>follows</th></tr></thead>`;
  const rows: string[] = m.header.map((h) => headerRow(h, false));
  for (const v of m.variants) {
    rows.push(`<tr class="variant"><th colspan="${n + 2}">${e(v.name)}${v.label && v.label !== v.name ? ` <span class="muted">${e(v.label)}</span>` : ''}</th></tr>`);
    for (const h of v.inForce) rows.push(headerRow(h, true));
    for (const row of [v.status, ...v.effects]) {
      const name = row.kind === 'status' ? e(rowName(row)) : `<code>${e(row.id)}</code> <span class="muted">${e(row.text)}</span>`;
      rows.push(`<tr class="effect" data-row="${e(row.id)}"><td>${name}</td>${row.cells.map((c) => cell(c, m.reasons)).join('')}<td class="follows">${e(followsShort(row.dependence))}</td></tr>`);
    }
    for (const f of v.figures) rows.push(`<tr class="figure"><td class="muted">${e(f.label)}</td>${f.cells.map((c) => `<td>${e(c)}</td>`).join('')}<td class="follows">${e(followsShort(f.dependence))}</td></tr>`);
  }
  return `<div class="table-scroll"><table class="matrix">${head}<tbody>${rows.join('')}</tbody></table></div>`;
}

export function matrixSection(m: ExperimentMatrix, index: number): string {
  const rows = dependentRows(m);
  const follows = rows.length
    ? `<h3>Which settings the differences follow</h3><ul class="matrix-notes">${rows.map((r) => `<li><strong>${e(r.variant)} · ${e(r.name)}</strong>${r.detail ? ` <span class="muted">(${e(r.detail)})</span>` : ''}: ${e(r.text)}</li>`).join('')}</ul>`
    : '<p>Every variant and expectation came out the same on every Run.</p>';
  return `<section class="matrix-section" id="matrix-${index}">
<h2>${e(matrixTitle(m))} <span class="muted">${e(m.title)}</span></h2>
${table(m)}
${follows}
<h3>Runs</h3><ul class="matrix-notes">${m.columns.map((c) => `<li>${e(columnLegend(c))}</li>`).join('')}</ul>
${m.reasons.length ? `<h3>Reasons</h3><ol class="matrix-notes">${m.reasons.map((r) => `<li>${e(r)}</li>`).join('')}</ol>` : ''}
${m.notes.map((note) => `<p class="note"><strong>Note:</strong> ${e(note)}</p>`).join('')}
</section>`;
}
