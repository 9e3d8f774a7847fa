import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeValues, groupRepeats, repeatStats, tQuantile975 } from '../../src/check/stats.js';
import { repeatTable } from '../../src/report/repeat-table.js';
import { parseRun } from '../../src/run/validate.js';
import { renderTerminalSummary } from '../../src/report/terminal.js';

// A real quick run of madv-free/dontneed with --repeat 3, captured on this machine (kernel 6.18).
const FIXTURE = join(import.meta.dirname, '../fixtures/ci/madv-free-dontneed-x3.json');
const run = parseRun(readFileSync(FIXTURE, 'utf8'), FIXTURE);
const MiB = 1 << 20;

describe('stats across repeats', () => {
  it('describeValues - median, mean, sample stddev, range and a t-based 95% interval for the mean', () => {
    const s = describeValues([10, 12, 14]);
    expect(s).toMatchObject({ n: 3, median: 12, mean: 12, min: 10, max: 14 });
    expect(s.stddev).toBeCloseTo(2, 10);
    // mean ± t(0.975, 2) · s/√3 = 12 ± 4.303 · 2/√3
    expect(s.ci95!.low).toBeCloseTo(12 - (4.303 * 2) / Math.sqrt(3), 6);
    expect(s.ci95!.high).toBeCloseTo(12 + (4.303 * 2) / Math.sqrt(3), 6);
  });
  it('describeValues - one value has no interval; no values is a RangeError', () => {
    expect(describeValues([5]).ci95).toBeNull();
    expect(describeValues([5]).stddev).toBe(0);
    expect(() => describeValues([])).toThrow(RangeError);
  });
  it('tQuantile975 - table values, the smaller df between rows, the normal limit', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(2)).toBe(4.303);
    expect(tQuantile975(45)).toBe(2.021);
    expect(tQuantile975(1000)).toBe(1.96);
    expect(() => tQuantile975(0)).toThrow(RangeError);
  });
  it('groupRepeats - the three repeats of a real run pool into one series per variant', () => {
    const groups = groupRepeats([run]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.repeats).toHaveLength(3);
    expect(groups[0]!.values.get('region.main.rss@end:touch')).toEqual([64 * MiB, 64 * MiB, 64 * MiB]);
    // a phase this variant never runs has no values, not zeros
    expect(groups[0]!.values.get('region.main.rss@end:pressure')).toEqual([]);
  });
  it('repeatStats - per metric over the real repeats: the touched region is 64 MiB in every repeat', () => {
    const touch = repeatStats([run]).find((s) => s.metric === 'region.main.rss@end:touch')!;
    expect(touch.stats).toMatchObject({ n: 3, median: 64 * MiB, min: 64 * MiB, max: 64 * MiB, stddev: 0 });
    expect(repeatStats([run]).find((s) => s.metric === 'region.main.rss@end:pressure')!.stats).toBeNull();
  });
  it('repeatTable - one row per repeated variant with median and spread per headline column', () => {
    const t = repeatTable(run)!;
    expect(t.head.slice(0, 2)).toEqual(['variant', 'repeats']);
    expect(t.head.length).toBe(2 + run.experiment.headline.length);
    expect(t.rows).toEqual([['dontneed', '3', '64.0 MiB', '0 B', '0 B', '0 B', '—', '—', '12,288']]);
    const single = { ...run, variants: run.variants.slice(0, 1) };
    expect(repeatTable(single)).toBeNull();
  });
  it('terminal summary - a run with repeats shows the across-repeats table under the per-repeat rows', () => {
    const text = renderTerminalSummary([run]);
    expect(text.indexOf('dontneed #3')).toBeLessThan(text.indexOf('Across repeats: median [min–max]'));
    expect(text).toMatch(/│ dontneed\s+│ 3\s+│ 64\.0 MiB\s+│/);
  });
});
