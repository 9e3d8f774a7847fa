// Baseline comparison for CI (`rsslab compare BASELINE CANDIDATE`): match experiment × variant ×
// metric between two sets of Runs, and call a change a regression only when
//   1. it goes the worse way for that metric (src/check/thresholds.ts: bigger RSS is worse…),
//   2. the medians differ by more than BOTH the relative and the absolute threshold, and
//   3. with repeats on both sides, a one-sided exact permutation test says the difference is not
//      noise — after correcting for the number of figures tested together (src/check/multiplicity.ts:
//      Holm–Bonferroni by default), the adjusted p must be ≤ α (default 0.05).
// With a single repeat on a side there is no test: the point values are judged by the thresholds
// alone, and each row says so. Differences of machine and tuning between the sides are listed
// (src/check/environment.ts): a test cannot tell them from a change of the code. Reads Run JSON only.
import type { Run } from '../run/schema.js';
import { describeValues, groupRepeats, type Stats, type VariantSeries } from './stats.js';
import { minimumP, permutationPGreater } from './permutation.js';
import { adjustPValues, CORRECTION_NAMES, CORRECTIONS, repeatsNeeded, smallestAdjustedP, type Correction } from './multiplicity.js';
import { environmentMismatches, type EnvironmentMismatch } from './environment.js';
import { DEFAULT_THRESHOLDS, thresholdFor, type Threshold, type ThresholdConfig } from './thresholds.js';

/** Inputs that cannot be compared (nothing in common, different profiles): exit code 2. */
export class CompareInputError extends Error {
  override name = 'CompareInputError';
}

export type Verdict = 'regression' | 'improved' | 'unchanged' | 'noise' | 'not-judged' | 'no-data';

export interface MetricComparison {
  experimentId: string;
  variant: string;
  metric: string;
  baseline: Stats | null;
  candidate: Stats | null;
  /** candidate median − baseline median, in the metric's unit */
  delta: number | null;
  /** delta / |baseline median|; ±Infinity from a zero baseline */
  deltaRel: number | null;
  threshold: Threshold;
  /** one-sided p-value in the direction the medians moved, null when the test was not run */
  p: number | null;
  /** p adjusted for the number of figures tested (CompareResult.correction); what α is compared with */
  pAdjusted: number | null;
  test: 'exact-permutation' | 'permutation' | 'none';
  verdict: Verdict;
  /** why this verdict, in words (thresholds only? too few repeats? which direction?) */
  reason: string;
}

export interface VariantIssue {
  experimentId: string;
  variant: string;
  message: string;
  /** a variant that ran in the baseline and failed in the candidate fails the comparison */
  regression: boolean;
}

export interface CompareOptions {
  thresholds?: ThresholdConfig;
  /** significance level of the permutation test, for the whole family of figures after the correction */
  alpha?: number;
  /** correction for testing many figures at once: holm (default), bh or none */
  correction?: Correction;
}

export interface CorrectionInfo {
  method: Correction;
  /** how many figures were tested together (a direction, repeats on both sides) */
  family: number;
  /** the smallest adjusted p one figure could reach with these repeats, null without any test */
  smallestP: number | null;
  /** repeats a side needed for one figure to be able to reach α, when these cannot */
  repeatsNeeded: number | null;
}

export interface CompareResult {
  rows: MetricComparison[];
  issues: VariantIssue[];
  /** differences worth knowing that do not stop the comparison (machine, params, one-sided experiments) */
  notes: string[];
  /** machine and tuning differences between the sides (Node, kernel, CPUs, allocator versions, THP, knobs) */
  environment: EnvironmentMismatch[];
  regressions: number;
  alpha: number;
  correction: CorrectionInfo;
  /** set by `rsslab compare --interleave`: both sides were measured here, round by round, in this order */
  interleaved?: { rounds: number; order: Array<'baseline' | 'candidate'> };
}

function byExperiment(runs: Run[]): Map<string, Run[]> {
  const m = new Map<string, Run[]>();
  for (const r of runs) m.set(r.experiment.id, [...(m.get(r.experiment.id) ?? []), r]);
  return m;
}

function differences(id: string, base: Run, cand: Run): string[] {
  const notes: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(base.experiment.params, cand.experiment.params)) {
    const keys = [...new Set([...Object.keys(base.experiment.params), ...Object.keys(cand.experiment.params)])].filter((k) => !same(base.experiment.params[k], cand.experiment.params[k]));
    notes.push(`${id}: parameters differ: ${keys.map((k) => `${k} ${JSON.stringify(base.experiment.params[k])} → ${JSON.stringify(cand.experiment.params[k])}`).join(', ')}`);
  }
  if (base.kind === 'watch' && base.experiment.title !== cand.experiment.title) notes.push(`${id}: the Runs watched different commands (${base.experiment.title} / ${cand.experiment.title})`);
  if (base.rsslabVersion !== cand.rsslabVersion) notes.push(`${id}: written by rsslab ${base.rsslabVersion} (baseline) and ${cand.rsslabVersion} (candidate)`);
  return notes;
}

/** Medians, thresholds and the permutation test of one figure; the verdict waits for the correction (decide). */
function measureMetric(experimentId: string, variant: string, metric: string, b: number[], c: number[], cfg: ThresholdConfig): MetricComparison {
  const threshold = thresholdFor(metric, cfg);
  const baseline = b.length ? describeValues(b) : null;
  const candidate = c.length ? describeValues(c) : null;
  const row: MetricComparison = { experimentId, variant, metric, baseline, candidate, delta: null, deltaRel: null, threshold, p: null, pAdjusted: null, test: 'none', verdict: 'no-data', reason: '' };
  if (!baseline || !candidate) {
    row.reason = `no value in the ${baseline ? 'candidate' : 'baseline'} (the phase did not run there, or the variant failed)`;
    return row;
  }
  const delta = candidate.median - baseline.median;
  row.delta = delta;
  row.deltaRel = baseline.median !== 0 ? delta / Math.abs(baseline.median) : delta === 0 ? 0 : Math.sign(delta) * Number.POSITIVE_INFINITY;
  if (threshold.direction === null) {
    row.verdict = 'not-judged';
    row.reason = 'direction unknown from the name: shown, not judged (set one with --threshold NAME=…,higher|lower)';
    return row;
  }
  if (b.length >= 2 && c.length >= 2) {
    // one-sided in the direction the medians moved: "is this worsening (or improvement) real?"
    const sign = threshold.direction === 'higher' ? 1 : -1;
    const t = sign * delta > 0 ? permutationPGreater(b.map((x) => sign * x), c.map((x) => sign * x)) : permutationPGreater(c.map((x) => sign * x), b.map((x) => sign * x));
    row.test = t.exact ? 'exact-permutation' : 'permutation';
    row.p = t.p;
  }
  return row;
}

const fmtP = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

/** The verdict of a judged row, once the family's adjusted p-values are known. */
function decide(row: MetricComparison, alpha: number, info: CorrectionInfo): void {
  if (row.delta === null || row.deltaRel === null || row.threshold.direction === null) return;
  const worse = (row.threshold.direction === 'higher' ? 1 : -1) * row.delta;
  const beyond = Math.abs(row.deltaRel) > row.threshold.rel && Math.abs(row.delta) > row.threshold.abs;
  if (!beyond) {
    row.verdict = 'unchanged';
    row.reason = 'within the thresholds';
    return;
  }
  const label = info.method === 'none' ? '' : ` after ${CORRECTION_NAMES[info.method]} over ${info.family} figures`;
  if (row.p !== null && row.pAdjusted !== null) {
    const ps = info.method === 'none' ? `p = ${fmtP(row.p)}` : `p = ${fmtP(row.p)}, adjusted ${fmtP(row.pAdjusted)}`;
    if (row.pAdjusted > alpha) {
      row.verdict = 'noise';
      const cannot = info.repeatsNeeded !== null ? `; with ${row.baseline!.n} and ${row.candidate!.n} repeats no figure can reach α${label}: run ${info.repeatsNeeded} or more a side` : '';
      row.reason = `beyond the thresholds, but the repeats do not separate enough${label} (${ps} > α = ${alpha})${cannot}`;
      return;
    }
    row.verdict = worse > 0 ? 'regression' : 'improved';
    row.reason = `medians differ beyond the thresholds and the repeats separate${label} (${ps} ≤ α = ${alpha})`;
    return;
  }
  row.verdict = worse > 0 ? 'regression' : 'improved';
  row.reason = row.baseline!.n === 1 && row.candidate!.n === 1
    ? 'one repeat a side: point values judged by the thresholds only (run with --repeat 5 or more for a test that can pass the correction)'
    : `one repeat on a side (${row.baseline!.n} and ${row.candidate!.n}): medians judged by the thresholds only`;
}

function compareVariant(base: VariantSeries, cand: VariantSeries, cfg: ThresholdConfig): { rows: MetricComparison[]; issue: VariantIssue | null } {
  const baseOk = base.repeats.some((r) => r.status === 'ok');
  const candOk = cand.repeats.some((r) => r.status === 'ok');
  let issue: VariantIssue | null = null;
  if (baseOk && !candOk) {
    const failed = cand.repeats.find((r) => r.status === 'failed');
    issue = failed
      ? { experimentId: base.experimentId, variant: base.variant, regression: true, message: `ran in the baseline, failed in the candidate: ${failed.failure?.reason ?? 'no reason recorded'}` }
      : { experimentId: base.experimentId, variant: base.variant, regression: false, message: `skipped in the candidate: ${cand.repeats[0]?.failure?.reason ?? 'no reason recorded'} — not compared` };
  } else if (!baseOk) {
    issue = { experimentId: base.experimentId, variant: base.variant, regression: false, message: 'no repeat ran ok in the baseline — not compared' };
  } else {
    const bad = cand.repeats.filter((r) => r.status !== 'ok');
    if (bad.length) {
      issue = { experimentId: base.experimentId, variant: base.variant, regression: false, message: `${bad.length} of ${cand.repeats.length} candidate repeats did not run ok (${bad[0]!.failure?.reason ?? bad[0]!.status}); compared on the others` };
    }
  }
  const rows: MetricComparison[] = [];
  const metrics = [...new Set([...base.values.keys(), ...cand.values.keys()])];
  for (const metric of metrics) {
    const b = base.values.get(metric) ?? [];
    const c = cand.values.get(metric) ?? [];
    if (b.length === 0 && c.length === 0) continue; // a figure neither side has (e.g. a phase this variant never runs)
    rows.push(measureMetric(base.experimentId, base.variant, metric, b, c, cfg));
  }
  return { rows, issue };
}

export function compareRuns(baseline: Run[], candidate: Run[], opts: CompareOptions = {}): CompareResult {
  const cfg = opts.thresholds ?? DEFAULT_THRESHOLDS;
  const alpha = opts.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new CompareInputError(`α must be between 0 and 1, got ${alpha}`);
  const b = byExperiment(baseline);
  const c = byExperiment(candidate);
  const common = [...b.keys()].filter((id) => c.has(id));
  if (common.length === 0) {
    throw new CompareInputError(
      `nothing to compare: the baseline has ${[...b.keys()].join(', ') || 'no experiment'}, the candidate has ${[...c.keys()].join(', ') || 'no experiment'} — compare Runs of the same experiment`,
    );
  }
  const method = opts.correction ?? 'holm';
  if (!CORRECTIONS.includes(method)) throw new CompareInputError(`correction must be one of ${CORRECTIONS.join(', ')}, got ${String(method)}`);
  const result: CompareResult = {
    rows: [],
    issues: [],
    notes: [],
    environment: environmentMismatches(common.flatMap((id) => b.get(id)!), common.flatMap((id) => c.get(id)!)),
    regressions: 0,
    alpha,
    correction: { method, family: 0, smallestP: null, repeatsNeeded: null },
  };
  for (const id of b.keys()) if (!c.has(id)) result.notes.push(`${id}: only in the baseline — not compared`);
  for (const id of c.keys()) if (!b.has(id)) result.notes.push(`${id}: only in the candidate — not compared`);
  for (const id of common) {
    const bRuns = b.get(id)!;
    const cRuns = c.get(id)!;
    const bp = new Set(bRuns.map((r) => r.experiment.profile));
    const cp = new Set(cRuns.map((r) => r.experiment.profile));
    if (bp.size > 1 || cp.size > 1 || [...bp][0] !== [...cp][0]) {
      throw new CompareInputError(
        `${id}: the baseline ran the ${[...bp].join('+')} profile, the candidate the ${[...cp].join('+')} profile — sizes and idle times differ, so the figures cannot be compared; run both with the same profile (--quick or not)`,
      );
    }
    for (const note of differences(id, bRuns[0]!, cRuns[0]!)) result.notes.push(note);
    const bGroups = groupRepeats(bRuns);
    const cGroups = groupRepeats(cRuns);
    for (const bg of bGroups) {
      const cg = cGroups.find((g) => g.variant === bg.variant);
      if (!cg) {
        result.notes.push(`${id}/${bg.variant}: only in the baseline — not compared`);
        continue;
      }
      const { rows, issue } = compareVariant(bg, cg, cfg);
      for (const row of rows) result.rows.push(row);
      if (issue) result.issues.push(issue);
    }
    for (const cg of cGroups) if (!bGroups.some((g) => g.variant === cg.variant)) result.notes.push(`${id}/${cg.variant}: only in the candidate — not compared`);
  }
  correct(result, alpha);
  result.regressions = result.rows.filter((r) => r.verdict === 'regression').length + result.issues.filter((i) => i.regression).length;
  return result;
}

/** Adjust the p-values of every tested figure together, then give each judged row its verdict. */
function correct(result: CompareResult, alpha: number): void {
  const info = result.correction;
  const tested = result.rows.filter((r) => r.p !== null);
  info.family = tested.length;
  const adjusted = adjustPValues(tested.map((r) => r.p!), info.method);
  tested.forEach((r, i) => (r.pAdjusted = adjusted[i]!));
  if (tested.length) {
    // the best any one figure could do: the row with the most repeats, moved alone
    const best = Math.min(...tested.map((r) => minimumP(r.baseline!.n, r.candidate!.n)));
    info.smallestP = smallestAdjustedP(best, info.family, info.method);
    if (info.smallestP > alpha) info.repeatsNeeded = repeatsNeeded(info.family, alpha, info.method);
  }
  for (const row of result.rows) decide(row, alpha, info);
}
