import { describe, it, expect } from 'vitest';
import { performance } from 'node:perf_hooks';
import { Sampler } from '../../src/lab/sampler.js';

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* spin: a sample that costs `ms` */
  }
};

describe('Sampler', () => {
  it('Sampler - monotonic timestamps from the origin, cost and rate recorded', async () => {
    const origin = performance.now();
    const t: number[] = [];
    const s = new Sampler({ intervalMs: 5, originMs: origin, tick: (tMs) => (t.push(tMs), true) });
    s.start();
    await new Promise((r) => setTimeout(r, 300));
    const stats = s.stop();
    expect(t.length).toBe(stats.count);
    expect(t.length).toBeGreaterThan(5);
    for (let i = 1; i < t.length; i++) expect(t[i]!).toBeGreaterThan(t[i - 1]!);
    expect(stats.costMeanMs).toBeGreaterThanOrEqual(0);
    expect(stats.achievedHz).toBeGreaterThan(0);
  });

  it('Sampler - a costly sample pushes the next out: at most half the wall time is spent sampling', async () => {
    let spent = 0;
    const s = new Sampler({
      intervalMs: 2,
      originMs: performance.now(),
      tick: () => {
        const t0 = performance.now();
        busy(10);
        spent += performance.now() - t0;
        return true;
      },
    });
    const t0 = performance.now();
    s.start();
    await new Promise((r) => setTimeout(r, 500));
    s.stop();
    const wall = performance.now() - t0;
    // 2 ms interval asked; each sample costs 10 ms: back to back would be ~100% of the time
    expect(spent / wall).toBeLessThan(0.7);
  });

  it('Sampler - stops when the process is gone (tick returns false)', async () => {
    let n = 0;
    const s = new Sampler({ intervalMs: 2, originMs: performance.now(), tick: () => ++n < 3 });
    s.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(s.stop().count).toBe(3);
  });

  it('Sampler - an interval under 2 ms is a RangeError', () => {
    expect(() => new Sampler({ intervalMs: 1, originMs: 0, tick: () => true })).toThrow(RangeError);
    expect(() => new Sampler({ intervalMs: Number.NaN, originMs: 0, tick: () => true })).toThrow(RangeError);
  });
});
