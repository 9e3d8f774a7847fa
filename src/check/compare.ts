// Baseline comparison for CI (`rsslab compare BASELINE CANDIDATE`): match experiment × variant ×
// metric between two sets of Runs, and call a change a regression only when
//   1. it goes the worse way for that metric (src/check/thresholds.ts: bigger RSS is worse…),
//   2. the medians differ by more than BOTH the relative and the absolute threshold, and
//   3. with repeats on both sides, a one-sided exact permutation test says the difference is not
//      noise (p ≤ α, default 0.05; 3 repeats a side is the least that can reach it).
// With a single repeat (or too few for the test) the point values are judged by the thresholds
// alone, and each row says so. Reads Run JSON only.
import type { Run } from '../run/schema.js';
import { describeValues, groupRepeats, type Stats, type VariantSeries } from './stats.js';
import { minimumP, permutationPGreater } from './permutation.js';
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
  /** one-sided p-value of "worse", null when the test was not run */
  p: number | null;
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
  /** significance level of the permutation test */
  alpha?: number;
}

export interface CompareResult {
  rows: MetricComparison[];
  issues: VariantIssue[];
  /** differences worth knowing that do not stop the comparison (machine, params, one-sided experiments) */
  notes: string[];
  regressions: number;
  alpha: number;
}

function byExperiment(runs: Run[]): Map<string, Run[]> {
  const m = new Map<string, Run[]>();
  for (const r of runs) m.set(r.experiment.id, [...(m.get(r.experiment.id) ?? []), r]);
  return m;
}

function differences(id: string, base: Run, cand: Run): string[] {
  const notes: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (base.machine.kernel !== cand.machine.kernel) notes.push(`${id}: kernel differs (baseline ${base.machine.kernel}, candidate ${cand.machine.kernel})`);
  const bt = base.machine.thp;
  const ct = cand.machine.thp;
  if (bt.enabled !== ct.enabled || bt.defrag !== ct.defrag) notes.push(`${id}: THP settings differ (baseline enabled=${bt.enabled} defrag=${bt.defrag}, candidate enabled=${ct.enabled} defrag=${ct.defrag})`);
  if (!same(base.experiment.params, cand.experiment.params)) {
    const keys = [...new Set([...Object.keys(base.experiment.params), ...Object.keys(cand.experiment.params)])].filter((k) => !same(base.experiment.params[k], cand.experiment.params[k]));
    notes.push(`${id}: parameters differ: ${keys.map((k) => `${k} ${JSON.stringify(base.experiment.params[k])} → ${JSON.stringify(cand.experiment.params[k])}`).join(', ')}`);
  }
  if (base.kind === 'watch' && base.experiment.title !== cand.experiment.title) notes.push(`${id}: the Runs watched different commands (${base.experiment.title} / ${cand.experiment.title})`);
  if (base.rsslabVersion !== cand.rsslabVersion) notes.push(`${id}: written by rsslab ${base.rsslabVersion} (baseline) and ${cand.rsslabVersion} (candidate)`);
  return notes;
}

function judgeMetric(experimentId: string, variant: string, metric: string, b: number[], c: number[], cfg: ThresholdConfig, alpha: number): MetricComparison {
  const threshold = thresholdFor(metric, cfg);
  const baseline = b.length ? describeValues(b) : null;
  const candidate = c.length ? describeValues(c) : null;
  const row: MetricComparison = { experimentId, variant, metric, baseline, candidate, delta: null, deltaRel: null, threshold, p: null, test: 'none', verdict: 'no-data', reason: '' };
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
  const sign = threshold.direction === 'higher' ? 1 : -1;
  const worse = sign * delta;
  const rel = Math.abs(row.deltaRel);
  const beyond = rel > threshold.rel && Math.abs(delta) > threshold.abs;
  if (!beyond) {
    row.verdict = 'unchanged';
    row.reason = 'within the thresholds';
    return row;
  }
  const testable = b.length >= 2 && c.length >= 2 && minimumP(b.length, c.length) <= alpha;
  if (testable) {
    // one-sided in the direction the medians moved: "is this worsening (or improvement) real?"
    const t = worse > 0 ? permutationPGreater(b.map((x) => sign * x), c.map((x) => sign * x)) : permutationPGreater(c.map((x) => sign * x), b.map((x) => sign * x));
    row.test = t.exact ? 'exact-permutation' : 'permutation';
    row.p = t.p;
    if (row.p > alpha) {
      row.verdict = 'noise';
      row.reason = `beyond the thresholds, but the repeats overlap (p = ${row.p.toFixed(3)} > α = ${alpha})`;
      return row;
    }
  }
  row.verdict = worse > 0 ? 'regression' : 'improved';
  row.reason = testable
    ? `medians differ beyond the thresholds and the repeats separate (p = ${row.p!.toFixed(3)} ≤ α = ${alpha})`
    : b.length === 1 && c.length === 1
      ? 'one repeat a side: point values judged by the thresholds only (run with --repeat 3 or more for a test)'
      : `too few repeats for the test (${b.length} and ${c.length}; 3 a side are needed at α = ${alpha}): medians judged by the thresholds only`;
  return row;
}

function compareVariant(base: VariantSeries, cand: VariantSeries, cfg: ThresholdConfig, alpha: number): { rows: MetricComparison[]; issue: VariantIssue | null } {
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
    rows.push(judgeMetric(base.experimentId, base.variant, metric, b, c, cfg, alpha));
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
  const result: CompareResult = { rows: [], issues: [], notes: [], regressions: 0, alpha };
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
      const { rows, issue } = compareVariant(bg, cg, cfg, alpha);
      for (const row of rows) result.rows.push(row);
      if (issue) result.issues.push(issue);
    }
    for (const cg of cGroups) if (!bGroups.some((g) => g.variant === cg.variant)) result.notes.push(`${id}/${cg.variant}: only in the candidate — not compared`);
  }
  result.regressions = result.rows.filter((r) => r.verdict === 'regression').length + result.issues.filter((i) => i.regression).length;
  return result;
}
