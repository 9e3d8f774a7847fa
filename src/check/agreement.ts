// Does the replay agree with the real program it stands for? From a Run alone (replay and real
// variant runs side by side, and the experiment's `validation` spec): each compared headline figure,
// replay vs real, within its tolerance; the variants ranked by one figure, replay order vs real order
// (Spearman's correlation, with values within the tolerance of each other counted as ties — on a
// real kernel 131 072 and 135 168 bytes are the same "stays low", not an order); and the
// expectations, which the real program must meet wherever the replay does. Pure: `rsslab validate`
// and the reports call it, tests feed it doctored Runs.
import { median, sampleCorrelation } from 'simple-statistics';
import type { Run, ValidationSpec, ValidationTolerance, VariantRun } from '../run/schema.js';
import { evaluateMetric } from './metric.js';

export type Verdict = 'agrees' | 'disagrees' | 'not-validated';

export interface FigureRow {
  variant: string;
  counterpart: string;
  metric: string;
  label: string;
  replay: number | null;
  real: number | null;
  /** replay − real */
  diff: number | null;
  /** the largest |diff| that agrees */
  allowed: number;
  tolerance: ValidationTolerance;
  agrees: boolean;
}

export interface RankResult {
  counterpart: string;
  metric: string;
  label: string;
  variants: string[];
  replayRanks: number[];
  realRanks: number[];
  /** null: fewer than three variants to rank */
  correlation: number | null;
  min: number;
  agrees: boolean;
}

export interface ExperimentAgreement {
  experimentId: string;
  title: string;
  verdict: Verdict;
  rows: FigureRow[];
  ranks: RankResult[];
  /** what made it disagree or left it unvalidated, in words */
  problems: string[];
  /** what was not compared and why (no equivalent variant, no ranking spec) */
  notes: string[];
}

/** The largest |replay − real| that still agrees: the wider of the absolute and the relative bound. */
export function allowedDifference(t: ValidationTolerance, real: number): number {
  return Math.max(t.absolute ?? 0, (t.relative ?? 0) * Math.abs(real));
}

export function figuresAgree(t: ValidationTolerance, replay: number | null, real: number | null): boolean {
  if (replay === null || real === null) return replay === real; // "never regrew" in both is agreement
  return Math.abs(replay - real) <= allowedDifference(t, real);
}

/**
 * Ranks (1 = smallest) with ties: sorted values within the tolerance of a group's first value share
 * the group's average rank.
 */
export function tieRanks(values: number[], t: ValidationTolerance): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length).fill(0);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    const first = order[start]!.v;
    while (end < order.length && order[end]!.v - first <= allowedDifference(t, first)) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!.i] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman's correlation of two rankings; two flat rankings agree (1), one flat against an order does not (0). */
export function rankCorrelation(a: number[], b: number[]): number | null {
  if (a.length < 3 || a.length !== b.length) return null;
  const flat = (x: number[]): boolean => x.every((v) => v === x[0]);
  if (flat(a) && flat(b)) return 1;
  if (flat(a) || flat(b)) return 0;
  return sampleCorrelation(a, b);
}

function valueOf(runs: VariantRun[], metric: string): number | null {
  const values = runs.map((v) => (metric in v.metrics && !metric.startsWith('metric.') ? (v.metrics[metric] ?? null) : evaluateMetric(v, metric))).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  // a figure missing in every repeat is "none" (e.g. never regrew); repeats are summarised by their median
  return values.length ? median(values) : null;
}

function labelOf(run: Run, metric: string): string {
  return run.experiment.headline.find((h) => h.metric === metric)?.label ?? metric;
}

type Pair = { variant: string; counterpart: string; replay: VariantRun[]; real: VariantRun[] };

function pairs(run: Run, problems: string[]): Pair[] {
  const out: Pair[] = [];
  const ids = [...new Set(run.variants.map((v) => v.variant))];
  for (const id of ids) {
    const replay = run.variants.filter((v) => v.variant === id && v.subject?.kind !== 'real');
    const counterparts = [...new Set(run.variants.flatMap((v) => (v.variant === id && v.subject?.kind === 'real' ? [v.subject.counterpart] : [])))];
    for (const c of counterparts) {
      const real = run.variants.filter((v) => v.variant === id && v.subject?.kind === 'real' && v.subject.counterpart === c);
      const bad = [...replay, ...real].filter((v) => v.status !== 'ok');
      for (const v of bad) problems.push(`${id} (${v.subject?.kind === 'real' ? `real ${c}` : 'replay'}) ${v.status}: ${v.failure?.reason ?? 'no reason recorded'}`);
      const okReplay = replay.filter((v) => v.status === 'ok');
      const okReal = real.filter((v) => v.status === 'ok');
      if (okReplay.length && okReal.length) out.push({ variant: id, counterpart: c, replay: okReplay, real: okReal });
    }
  }
  return out;
}

/** Expectations the replay met and the real program did not (or the other way round). */
function expectationProblems(p: Pair): string[] {
  const status = (runs: VariantRun[], id: string): string | undefined => {
    const all = runs.map((v) => v.expectations.find((e) => e.id === id)?.status).filter(Boolean);
    return all.includes('failed') ? 'failed' : all.includes('held') ? 'held' : all[0];
  };
  const ids = [...new Set([...p.replay, ...p.real].flatMap((v) => v.expectations.map((e) => e.id)))];
  const out: string[] = [];
  for (const id of ids) {
    const a = status(p.replay, id);
    const b = status(p.real, id);
    if ((a === 'held' && b === 'failed') || (a === 'failed' && b === 'held')) out.push(`${p.variant}: expectation "${id}" ${a} for the replay but ${b} for the real ${p.counterpart}`);
  }
  return out;
}

export function experimentAgreement(run: Run): ExperimentAgreement {
  const spec: ValidationSpec | null | undefined = run.experiment.validation;
  const problems: string[] = [];
  const notes: string[] = [];
  const base = { experimentId: run.experiment.id, title: run.experiment.title };
  for (const s of run.skipped) notes.push(s.counterpart !== undefined ? `${s.variant} (real ${s.counterpart}) not run: ${s.reason}` : `${s.variant} not compared: the variant was skipped (${s.reason})`);
  if (!spec) return { ...base, verdict: 'not-validated', rows: [], ranks: [], problems: ['the experiment states no validation (tolerances) to check against'], notes };

  const matched = pairs(run, problems);
  const rows: FigureRow[] = [];
  for (const p of matched) {
    for (const t of spec.compare) {
      const replay = valueOf(p.replay, t.metric);
      const real = valueOf(p.real, t.metric);
      const agrees = figuresAgree(t, replay, real);
      rows.push({ variant: p.variant, counterpart: p.counterpart, metric: t.metric, label: labelOf(run, t.metric), replay, real, diff: replay !== null && real !== null ? replay - real : null, allowed: real === null ? (t.absolute ?? 0) : allowedDifference(t, real), tolerance: t, agrees });
      if (!agrees) problems.push(`${p.variant}: ${labelOf(run, t.metric)} differs beyond the tolerance (replay ${replay ?? 'none'}, real ${real ?? 'none'})`);
    }
    problems.push(...expectationProblems(p));
  }

  const ranks: RankResult[] = [];
  if (spec.rankBy) {
    const t = spec.compare.find((c) => c.metric === spec.rankBy) ?? { metric: spec.rankBy };
    for (const c of [...new Set(matched.map((p) => p.counterpart))]) {
      const ranked = matched.filter((p) => p.counterpart === c).map((p) => ({ variant: p.variant, replay: valueOf(p.replay, t.metric), real: valueOf(p.real, t.metric) }));
      const both = ranked.filter((r): r is { variant: string; replay: number; real: number } => r.replay !== null && r.real !== null);
      const replayRanks = tieRanks(both.map((r) => r.replay), t);
      const realRanks = tieRanks(both.map((r) => r.real), t);
      const correlation = rankCorrelation(replayRanks, realRanks);
      const agrees = correlation === null || correlation >= spec.minRankCorrelation;
      ranks.push({ counterpart: c, metric: t.metric, label: labelOf(run, t.metric), variants: both.map((r) => r.variant), replayRanks, realRanks, correlation, min: spec.minRankCorrelation, agrees });
      if (correlation === null) notes.push(`ranking by ${labelOf(run, t.metric)} (real ${c}): fewer than three variants with a value, not compared`);
      else if (!agrees) problems.push(`the variants rank differently by ${labelOf(run, t.metric)}: Spearman ${correlation.toFixed(2)} < ${spec.minRankCorrelation} (real ${c})`);
    }
  } else notes.push('the experiment ranks its variants by no figure');

  let verdict: Verdict = problems.length ? 'disagrees' : 'agrees';
  if (matched.length === 0) {
    verdict = problems.length ? 'disagrees' : 'not-validated';
    if (!problems.length) problems.push('no variant ran both as replay and as a real counterpart, so nothing was compared' + (notes.length ? ` (${notes[0]})` : ''));
  }
  return { ...base, verdict, rows, ranks, problems, notes };
}
