// The sentences every rendering of the cross-machine comparison shares (terminal, Markdown, HTML):
// a cell with its reason marker, which settings a row follows, and the column legend.
import type { Dependence, Explanation } from '../check/depends-on.js';
import type { EffectRow, ExperimentMatrix, MatrixCell, MatrixColumn } from './matrix-model.js';

/** "skipped [2]": the reason is listed under the table by number. */
export function cellText(c: MatrixCell): string {
  return c.reason !== null ? `${c.text} [${c.reason}]` : c.text;
}

function settingNames(e: Explanation): string {
  return e.settings.map((s) => s.label).join(' + ');
}

function splitText(e: Explanation): string {
  const name = e.settings[0]!.label;
  return e.split.map((g) => `${g.outcome} where ${name} is ${g.value}`).join('; ');
}

/** The short form for a table column: the settings only ("" when the row is the same everywhere). */
export function followsShort(d: Dependence): string {
  if (d.kind === 'same') return '';
  if (d.kind === 'unexplained') return d.twins ? 'differs under equal settings' : 'no single setting';
  return d.best.map(settingNames).join(' | ');
}

/** The full sentence: which settings, how the outcome splits, and what these Runs cannot tell apart. */
export function followsText(d: Dependence, columns: MatrixColumn[]): string | null {
  if (d.kind === 'same') return null;
  if (d.kind === 'unexplained') {
    if (d.twins) {
      const [a, b] = d.twins;
      return `differs between ${columns[a]!.id} and ${columns[b]!.id}, which recorded the same settings: noise, a race, or something rsslab does not record — repeat the Runs (--repeat) to tell`;
    }
    return 'no single recorded setting explains it; several together may';
  }
  const parts = d.best.map((e) => {
    const together = e.settings.length > 1 ? ' (these changed together here: these Runs cannot tell which one matters)' : '';
    return `${settingNames(e)}${together}: ${splitText(e)}`;
  });
  const head = parts.length > 1 ? `follows one of: ${parts.join(' — or — ')}` : `follows ${parts[0]!}`;
  const also = d.alsoConsistent.length ? `; also consistent with ${d.alsoConsistent.map(settingNames).join(', ')}` : '';
  return head + also;
}

/** The rows of a matrix whose outcome is not the same everywhere, with the variant they belong to. */
export interface DependentRow {
  variant: string;
  /** the row's first cell: "ran here", an expectation id, a figure's label */
  name: string;
  /** an expectation's text, a figure's note; '' for the status row */
  detail: string;
  text: string;
}

export function dependentRows(m: ExperimentMatrix): DependentRow[] {
  const out: DependentRow[] = [];
  for (const v of m.variants) {
    for (const row of [v.status, ...v.effects]) {
      const text = followsText(row.dependence, m.columns);
      if (text !== null) out.push({ variant: v.name, name: rowName(row), detail: row.kind === 'expectation' ? row.text : '', text });
    }
    for (const f of v.figures) {
      const text = followsText(f.dependence, m.columns);
      if (text !== null) out.push({ variant: v.name, name: f.label, detail: 'headline figure, in levels more than 1.5× apart', text });
    }
  }
  return out;
}

/** "m1 = runs/ubuntu-22.04/thp.json · host · Ubuntu 22.04 · Linux 5.15 x64 · THP madvise/madvise" */
export function columnLegend(c: MatrixColumn): string {
  return `${c.id} = ${c.source ? `${c.source} · ` : ''}${c.describe}`;
}

export function matrixTitle(m: ExperimentMatrix): string {
  return `Across machines: ${m.name} — ${m.columns.length} Run${m.columns.length === 1 ? '' : 's'}`;
}

/** What a row is, in its first cell. */
export function rowName(row: EffectRow): string {
  return row.kind === 'status' ? 'ran here' : row.id;
}
