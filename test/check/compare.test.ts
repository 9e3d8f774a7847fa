import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareRuns, CompareInputError } from '../../src/check/compare.js';
import { renderCompareMarkdown, renderCompareTerminal } from '../../src/report/compare.js';
import { defaultDirection, parseThresholdOverride, thresholdFor, DEFAULT_THRESHOLDS } from '../../src/check/thresholds.js';
import { parseRun } from '../../src/run/validate.js';
import type { Run } from '../../src/run/schema.js';

// A real quick run of madv-free/dontneed, 3 repeats, captured on this machine. The "candidates" below
// are DOCTORED COPIES of it — one stored metric changed per repeat — to put the detector at known
// points (regression, noise, improvement) that a real run cannot be made to hit on purpose.
const FIXTURE = join(import.meta.dirname, '../fixtures/ci/madv-free-dontneed-x3.json');
const real = (): Run => parseRun(readFileSync(FIXTURE, 'utf8'), FIXTURE);
const MiB = 1 << 20;
const FREE = 'region.main.rss@end:free';

function doctored(values: number[]): Run {
  const run = real();
  run.variants.forEach((v, i) => (v.metrics[FREE] = values[i]!));
  return run;
}

describe('compare (on a real run and doctored copies)', () => {
  it('compare - a run against itself: no regression, every byte figure judged unchanged', () => {
    const r = compareRuns([real()], [real()]);
    expect(r.regressions).toBe(0);
    expect(r.rows.find((x) => x.metric === FREE)).toMatchObject({ verdict: 'unchanged', delta: 0 });
    // a count the name gives no direction for is shown, not judged
    expect(r.rows.find((x) => x.metric === 'check.reclaimedPages@last')!.verdict).toBe('not-judged');
    // phases dontneed never runs (pressure) have no row
    expect(r.rows.some((x) => x.metric.includes(':pressure'))).toBe(false);
  });
  it('compare - without correction, every repeat keeping 64 MiB after the free is a regression (exact p = 0.05 with 3 vs 3)', () => {
    const r = compareRuns([real()], [doctored([64 * MiB, 64 * MiB, 64 * MiB])], { correction: 'none' });
    expect(r.regressions).toBe(1);
    const row = r.rows.find((x) => x.metric === FREE)!;
    expect(row).toMatchObject({ verdict: 'regression', test: 'exact-permutation', p: 0.05, delta: 64 * MiB });
    expect(renderCompareTerminal(r)).toMatch(/madv-free\/dontneed region\.main\.rss@end:free: 0 B \(n=3\) → 64\.0 MiB \(n=3\)/);
    expect(renderCompareMarkdown(r)).toMatch(/❌ 1 regression/);
  });
  it('compare - one bad repeat moves the median but overlaps the baseline: noise, not a regression', () => {
    const r = compareRuns([doctored([0, 0, 30 * MiB])], [doctored([0, 20 * MiB, 25 * MiB])]);
    const row = r.rows.find((x) => x.metric === FREE)!;
    expect(row.verdict).toBe('noise');
    expect(row.p!).toBeGreaterThan(0.05);
    expect(r.regressions).toBe(0);
  });
  it('compare - below either threshold is unchanged: +6 MiB (under 8 MiB) and +9 MiB on 1 GiB (under 10%)', () => {
    expect(compareRuns([real()], [doctored([6 * MiB, 6 * MiB, 6 * MiB])]).rows.find((x) => x.metric === FREE)!.verdict).toBe('unchanged');
    const big = compareRuns([doctored([1024 * MiB, 1024 * MiB, 1024 * MiB])], [doctored([1033 * MiB, 1033 * MiB, 1033 * MiB])]);
    expect(big.rows.find((x) => x.metric === FREE)!.verdict).toBe('unchanged');
  });
  it('compare - going down is an improvement, not a failure', () => {
    const r = compareRuns([doctored([64 * MiB, 64 * MiB, 64 * MiB])], [real()], { correction: 'none' });
    expect(r.rows.find((x) => x.metric === FREE)!.verdict).toBe('improved');
    expect(r.regressions).toBe(0);
  });
  it('compare - one repeat a side: judged by the thresholds only, and the row says so', () => {
    const one = (run: Run): Run => ({ ...run, variants: run.variants.slice(0, 1) });
    const r = compareRuns([one(real())], [one(doctored([64 * MiB]))]);
    const row = r.rows.find((x) => x.metric === FREE)!;
    expect(row).toMatchObject({ verdict: 'regression', test: 'none', p: null });
    expect(row.reason).toMatch(/one repeat a side: point values judged by the thresholds only/);
  });
  it('compare - a variant that failed in the candidate fails the comparison', () => {
    const cand = real();
    for (const v of cand.variants) Object.assign(v, { status: 'failed', failure: { reason: 'the child exited with code 1', exitCode: 1, signal: null, stderrTail: '', timedOut: false } });
    const r = compareRuns([real()], [cand]);
    expect(r.regressions).toBe(1);
    expect(r.issues[0]!.message).toMatch(/failed in the candidate: the child exited with code 1/);
  });
  it('compare - one failed repeat of three in the candidate: compared on the others, and said', () => {
    const cand = real();
    Object.assign(cand.variants[1]!, { status: 'failed', failure: { reason: 'timed out', exitCode: null, signal: 'SIGKILL', stderrTail: '', timedOut: true } });
    const r = compareRuns([real()], [cand]);
    expect(r.regressions).toBe(0);
    expect(r.rows.find((x) => x.metric === FREE)!.candidate!.n).toBe(2);
    expect(r.issues[0]!.message).toMatch(/1 of 3 candidate repeats did not run ok \(timed out\)/);
  });
  it('compare - nothing in common, or another profile, is refused with both sides named', () => {
    const other = real();
    other.experiment.id = 'thp-khugepaged';
    expect(() => compareRuns([real()], [other])).toThrow(CompareInputError);
    expect(() => compareRuns([real()], [other])).toThrow(/baseline has madv-free, the candidate has thp-khugepaged/);
    const full = real();
    full.experiment.profile = 'default';
    expect(() => compareRuns([real()], [full])).toThrow(/quick profile, the candidate the default profile/);
  });
  it('compare - differences in parameters are noted, not fatal', () => {
    const cand = real();
    cand.experiment.params.holdMs = 1000;
    const r = compareRuns([real()], [cand]);
    expect(r.notes.join('\n')).toMatch(/parameters differ: holdMs 500 → 1000/);
  });
  it('compare - the same 3 vs 3 separation under Holm over the 4 figures tested is noise, and says 5 repeats a side are needed', () => {
    const r = compareRuns([real()], [doctored([64 * MiB, 64 * MiB, 64 * MiB])]);
    expect(r.correction).toEqual({ method: 'holm', family: 4, smallestP: 0.2, repeatsNeeded: 5 });
    const row = r.rows.find((x) => x.metric === FREE)!;
    expect(row).toMatchObject({ verdict: 'noise', p: 0.05 });
    expect(row.pAdjusted).toBeCloseTo(0.2, 12);
    expect(row.reason).toMatch(/after Holm–Bonferroni over 4 figures \(p = 0\.050, adjusted 0\.200 > α = 0\.05\); with 3 and 3 repeats no figure can reach α/);
    expect(r.regressions).toBe(0);
    expect(renderCompareTerminal(r)).toMatch(/smallest adjusted p one figure can reach is 0\.200 > α.*run 5 or more repeats a side/);
  });
  it('compare - 6 vs 6 (two Runs a side, pooled) separate enough under Holm: a regression at adjusted p = 4/924', () => {
    const bad = (): Run => doctored([64 * MiB, 64 * MiB, 64 * MiB]);
    const r = compareRuns([real(), real()], [bad(), bad()]);
    const row = r.rows.find((x) => x.metric === FREE)!;
    expect(row.verdict).toBe('regression');
    expect(row.p).toBeCloseTo(1 / 924, 12);
    expect(row.pAdjusted).toBeCloseTo(4 / 924, 12);
    expect(r.correction.repeatsNeeded).toBeNull();
    expect(renderCompareMarkdown(r)).toMatch(/0\.001 → 0\.004/);
  });
  it('compare - Benjamini–Hochberg on request: the only moved figure gets m × p too', () => {
    const bad = (): Run => doctored([64 * MiB, 64 * MiB, 64 * MiB]);
    const r = compareRuns([real(), real()], [bad(), bad()], { correction: 'bh' });
    expect(r.rows.find((x) => x.metric === FREE)!.pAdjusted).toBeCloseTo(4 / 924, 12);
    expect(renderCompareTerminal(r)).toMatch(/4 figures tested together, Benjamini–Hochberg at α = 0\.05/);
    expect(() => compareRuns([real()], [real()], { correction: 'bonferroni' as never })).toThrow(/correction must be one of holm, bh, none, got bonferroni/);
  });
});

describe('thresholds and direction', () => {
  it('direction - memory held is worse bigger; returned memory worse smaller; times and counts not judged', () => {
    expect(defaultDirection('rss@end:idle')).toBe('higher');
    expect(defaultDirection('region.main.lazyFree@end:free')).toBe('higher');
    expect(defaultDirection('metric.lastCycleRssBytes')).toBe('higher');
    expect(defaultDirection('metric.rssOverLive')).toBe('higher');
    expect(defaultDirection('metric.releasedBytes')).toBe('lower');
    // names from runtime-heap's derived metrics: freed by GC/trim is good, held after it is not
    expect(defaultDirection('metric.rssFreedByGcBytes')).toBe('lower');
    expect(defaultDirection('metric.rssHeldAfterTrimBytes')).toBe('higher');
    expect(defaultDirection('metric.decodeDurationMs')).toBeNull();
    expect(defaultDirection('metric.regrowMs')).toBeNull();
    expect(defaultDirection('check.reclaimedPages@last')).toBeNull();
    expect(defaultDirection('memFree@min')).toBeNull();
  });
  it('threshold - per-metric overrides parse percent, size or duration, and direction', () => {
    expect(parseThresholdOverride('region.main.rss@end:free=5%,4MiB')).toEqual(['region.main.rss@end:free', { rel: 0.05, abs: 4 * MiB }]);
    expect(parseThresholdOverride('metric.regrowMs=20%,1s,lower')).toEqual(['metric.regrowMs', { rel: 0.2, abs: 1000, direction: 'lower' }]);
    const cfg = { ...DEFAULT_THRESHOLDS, perMetric: { 'metric.regrowMs': { direction: 'lower' as const } } };
    expect(thresholdFor('metric.regrowMs', cfg)).toEqual({ rel: 0.1, abs: 250, direction: 'lower' });
    expect(() => parseThresholdOverride('rss@max')).toThrow(/expected METRIC=10%,16MiB/);
    expect(() => parseThresholdOverride('rss@max=lots')).toThrow(/not a size/);
  });
});
