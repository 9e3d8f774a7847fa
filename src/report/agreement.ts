// Replay and real side by side (`rsslab validate`, and the reports of a Run made with --real): per
// variant each compared figure, the difference and the tolerance, then whether the variants come
// out in the same order. Rendered from check/agreement.ts's result, which reads Run JSON only.
import Table from 'cli-table3';
import type { ExperimentAgreement, FigureRow, RankResult } from '../check/agreement.js';
import { unitOf } from '../check/metric-unit.js';
import { formatValue } from './units.js';

export const VERDICT_TEXT: Record<ExperimentAgreement['verdict'], string> = {
  agrees: 'the replay agrees with the real program',
  disagrees: 'the replay DISAGREES with the real program',
  'not-validated': 'NOT VALIDATED: nothing to compare',
};

function signed(metric: string, diff: number | null): string {
  if (diff === null) return '—';
  if (diff === 0) return unitOf(metric) === 'count' ? '0' : formatValue(metric, 0);
  return (diff > 0 ? '+' : '−') + formatValue(metric, Math.abs(diff));
}

export function toleranceText(r: Pick<FigureRow, 'metric' | 'tolerance' | 'allowed'>): string {
  const parts: string[] = [];
  if (r.tolerance.relative !== undefined) parts.push(`${+(r.tolerance.relative * 100).toFixed(2)}%`);
  if (r.tolerance.absolute !== undefined) parts.push(formatValue(r.metric, r.tolerance.absolute));
  const rule = parts.length ? parts.join(' or ') : 'exact';
  return parts.length > 1 ? `±${formatValue(r.metric, r.allowed)} (${rule})` : `±${rule}`;
}

export interface AgreementCells {
  head: string[];
  rows: string[][];
}

/** The side-by-side table as plain cells (the terminal and Markdown draw them their own way). */
export function agreementCells(a: ExperimentAgreement): AgreementCells {
  const many = new Set(a.rows.map((r) => r.counterpart)).size > 1;
  return {
    head: ['variant', 'figure', 'replay', 'real', 'replay − real', 'tolerance', 'agrees'],
    rows: a.rows.map((r) => [many ? `${r.variant} (${r.counterpart})` : r.variant, r.label, formatValue(r.metric, r.replay), formatValue(r.metric, r.real), signed(r.metric, r.diff), toleranceText(r), r.agrees ? 'yes' : 'NO']),
  };
}

export function rankText(r: RankResult): string {
  const order = (ranks: number[]): string =>
    r.variants
      .map((v, i) => ({ v, rank: ranks[i]! }))
      .sort((x, y) => y.rank - x.rank)
      .map((x) => `${x.v} ${x.rank}`)
      .join(', ');
  const head = r.correlation === null ? 'not compared (fewer than three variants)' : `Spearman ${r.correlation.toFixed(2)} (agrees at ≥ ${r.min}): ${r.agrees ? 'same order' : 'DIFFERENT ORDER'}`;
  return `ranking by ${r.label} (real ${r.counterpart}): ${head}\n  replay ranks: ${order(r.replayRanks)}\n  real ranks:   ${order(r.realRanks)}`;
}

export function renderAgreementTerminal(a: ExperimentAgreement): string {
  const lines = [`${a.experimentId} — ${a.title}: ${VERDICT_TEXT[a.verdict]}`];
  const cells = agreementCells(a);
  if (cells.rows.length) {
    const t = new Table({ head: cells.head, style: { head: [], border: [], compact: true } });
    t.push(...cells.rows);
    lines.push(t.toString());
  }
  for (const r of a.ranks) lines.push(rankText(r));
  for (const p of a.problems) lines.push(`  ✗ ${p}`);
  for (const n of a.notes) lines.push(`  – ${n}`);
  return lines.join('\n') + '\n';
}
