// The "across repeats" table the terminal and Markdown summaries show under the per-repeat rows when
// a Run has more than one repeat of a variant: per headline metric the median and the [min–max]
// spread. Plain strings, so each renderer draws it its own way (cli-table3, a Markdown table).
import type { Run } from '../run/schema.js';
import { formatValue } from './units.js';
import { groupRepeats, describeValues } from '../check/stats.js';

export interface RepeatTable {
  /** "variant", "repeats", then one column per headline metric label */
  head: string[];
  rows: string[][];
  note: string;
}

/** "64.0 MiB [63.9–64.1 MiB]": the median, then the range when the repeats differ. */
export function formatSpread(metric: string, values: number[]): string {
  if (values.length === 0) return '—';
  const s = describeValues(values);
  const med = formatValue(metric, s.median);
  if (s.min === s.max) return med;
  return `${med} [${formatValue(metric, s.min)}–${formatValue(metric, s.max)}]`;
}

/** null when no variant of the Run has more than one repeat (the per-repeat table says it all). */
export function repeatTable(run: Run): RepeatTable | null {
  const groups = groupRepeats([run]).filter((g) => g.repeats.length > 1);
  if (groups.length === 0) return null;
  const headline = run.experiment.headline;
  const rows = groups.map((g) => {
    const ok = g.repeats.filter((r) => r.status === 'ok').length;
    return [g.variant, ok === g.repeats.length ? String(ok) : `${ok} of ${g.repeats.length} ok`, ...headline.map((h) => formatSpread(h.metric, g.values.get(h.metric) ?? []))];
  });
  return {
    head: ['variant', 'repeats', ...headline.map((h) => h.label)],
    rows,
    note: 'Across repeats: median [min–max] of the repeats that ran ok (rsslab compare tests the difference between two sets of repeats).',
  };
}
