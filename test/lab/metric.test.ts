import { describe, it, expect } from 'vitest';
import { evaluateMetric, timeToReach, MetricError } from '../../src/check/metric.js';
import { judge } from '../../src/check/expectations.js';
import type { Sample, VariantRun } from '../../src/run/schema.js';

const s = (tMs: number, rssBytes: number, regionRss?: number): Sample => ({
  tMs,
  rssBytes,
  pssBytes: null,
  anonBytes: null,
  anonHugeBytes: null,
  lazyFreeBytes: rssBytes / 2,
  swapBytes: null,
  regions: regionRss === undefined ? {} : { main: { sizeBytes: 100, rssBytes: regionRss, anonHugeBytes: 0, lazyFreeBytes: 0, swapBytes: 0 } },
});

const run: Pick<VariantRun, 'samples' | 'marks' | 'reports' | 'metrics'> = {
  samples: [s(0, 10, 0), s(10, 50, 100), s(20, 60, 100), s(30, 20, 5), s(40, 25, 90), s(50, 30, 95)],
  marks: [
    { tMs: 0, phase: 'touch', label: '' },
    { tMs: 20, phase: 'free', label: '' },
    { tMs: 30, phase: 'idle', label: '' },
    { tMs: 50, phase: 'end', label: '' },
  ],
  reports: [
    { tMs: 5, phase: 'touch', values: { live: 7 } },
    { tMs: 25, phase: 'free', values: { live: 3 } },
  ],
  metrics: { regrowMs: 12 },
};

describe('metric references', () => {
  it('evaluateMetric - phase boundaries are the samples at the marks', () => {
    expect(evaluateMetric(run, 'rss@start:free')).toBe(60);
    expect(evaluateMetric(run, 'rss@end:free')).toBe(20);
    expect(evaluateMetric(run, 'rss@max:touch')).toBe(60);
    expect(evaluateMetric(run, 'rss@delta:idle')).toBe(10);
    expect(evaluateMetric(run, 'rss@max')).toBe(60);
    expect(evaluateMetric(run, 'rss@last')).toBe(30);
  });
  it('evaluateMetric - regions, reported values, derived metrics', () => {
    expect(evaluateMetric(run, 'region.main.rss@end:free')).toBe(5);
    expect(evaluateMetric(run, 'region.main.size@last')).toBe(100);
    expect(evaluateMetric(run, 'lazyFree@end:idle')).toBe(15);
    expect(evaluateMetric(run, 'live@end:touch')).toBe(7);
    expect(evaluateMetric(run, 'live@end:free')).toBe(3);
    expect(evaluateMetric(run, 'metric.regrowMs')).toBe(12);
  });
  it('evaluateMetric - missing data is null, bad syntax is a MetricError', () => {
    expect(evaluateMetric(run, 'rss@end:nosuchphase')).toBeNull();
    expect(evaluateMetric(run, 'region.other.rss@max')).toBeNull();
    expect(() => evaluateMetric(run, 'rss')).toThrow(MetricError);
    expect(() => evaluateMetric(run, 'rss@median')).toThrow(/unknown selector/);
  });
  it('timeToReach - ms from the phase start to the first sample at the threshold', () => {
    expect(timeToReach(run, 'region.main.rss', 'idle', 90)).toBe(10);
    expect(timeToReach(run, 'region.main.rss', 'idle', 1000)).toBeNull();
  });
  it('judge - held, failed, skipped for an unmet requirement', () => {
    const r = judge(run, [
      { id: 'a', text: '', left: 'rss@end:free', op: '<=', right: 'rss@max', factor: 0.5 },
      { id: 'b', text: '', left: 'rss@end:idle', op: '>=', right: 100 },
      { id: 'c', text: '', left: 'rss@end:idle', op: '>=', right: 100, requires: ['speedUp'] },
      { id: 'd', text: '', left: 'rss@end:nope', op: '>=', right: 1 },
    ], { speedUp: 'not sped up' });
    expect(r.map((x) => x.status)).toEqual(['held', 'failed', 'skipped', 'failed']);
    expect(r[0]!.rightValue).toBe(30);
    expect(r[2]!.reason).toBe('not sped up');
    expect(r[3]!.reason).toMatch(/no data/);
  });
});
