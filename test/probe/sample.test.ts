import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryCgroupOf, SampleProbe, takeSample } from '../../src/probe/index.js';
import { FIXTURES, regionsChildUnavailable, startRegionsChild, type RegionsChild } from './regions-child.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const machine = path.join(FIXTURES, 'machine');
const fixture = JSON.parse(fs.readFileSync(path.join(machine, 'regions.json'), 'utf8')) as { pid: number; memoryCgroup: string; regions: Record<string, { address: string; lengthBytes: number }> };
const fixtureRegions = Object.fromEntries(Object.entries(fixture.regions).map(([name, r]) => [name, { address: BigInt(r.address), sizeBytes: r.lengthBytes }]));
if (regionsChildUnavailable) console.warn(`skipping live sample tests: ${regionsChildUnavailable}`);

describe('takeSample (fixture captured on this machine)', () => {
  it('takeSample - without regions the totals come from smaps_rollup', () => {
    expect(takeSample(fixture.pid, { root: machine })).toEqual({ rssBytes: 14824 * KiB, pssBytes: 13616 * KiB, anonBytes: 13416 * KiB, anonHugeBytes: 8192 * KiB, lazyFreeBytes: 4092 * KiB, swapBytes: 0, regions: {} });
  });

  it('takeSample - with regions, totals and regions from one smaps read, plus THP counters, cgroup and MemFree', () => {
    const s = takeSample(fixture.pid, { root: machine, regions: fixtureRegions, thp: true, memFree: true, cgroupPath: path.join(machine, 'sys/fs/cgroup/memory', fixture.memoryCgroup) });
    // Pss summed over the 32 entries (each truncated to kB) is 13613 kB; the rollup says 13616 kB
    expect(s).toMatchObject({ rssBytes: 14824 * KiB, pssBytes: 13613 * KiB, anonBytes: 13416 * KiB, anonHugeBytes: 8192 * KiB, lazyFreeBytes: 4092 * KiB, swapBytes: 0 });
    expect(s.regions).toEqual({
      huge: { sizeBytes: 8 * MiB, rssBytes: 8 * MiB, anonHugeBytes: 8 * MiB, lazyFreeBytes: 0, swapBytes: 0 },
      lazy: { sizeBytes: 4 * MiB, rssBytes: 4 * MiB, anonHugeBytes: 0, lazyFreeBytes: 4092 * KiB, swapBytes: 0 },
      partial: { sizeBytes: 4 * MiB, rssBytes: 1 * MiB, anonHugeBytes: 0, lazyFreeBytes: 0, swapBytes: 0 },
      split: { sizeBytes: 4 * MiB, rssBytes: 8 * KiB, anonHugeBytes: 0, lazyFreeBytes: 0, swapBytes: 0 },
    });
    expect(s.thp?.thp_deferred_split_page).toBe(2);
    expect(s.memFreeBytes).toBe(24267712 * KiB);
    expect(s.cgroup).toEqual({ usageBytes: 145334272, anonBytes: 23392256, anonThpBytes: 8388608, fileBytes: 115838976, inactiveAnonBytes: 23298048 });
  });

  it('takeSample - only what is asked: no regions, no thp, no cgroup, no MemFree', () => {
    const s = takeSample(fixture.pid, { root: machine });
    expect(s.regions).toEqual({});
    expect(s).not.toHaveProperty('thp');
    expect(s).not.toHaveProperty('cgroup');
    expect(s).not.toHaveProperty('memFreeBytes');
  });

  it("take('fast') - totals from status only (no page-table walk): PSS, LazyFree, AnonHugePages and regions left out", () => {
    const probe = new SampleProbe(fixture.pid, { root: machine, regions: fixtureRegions, memFree: true });
    try {
      expect(probe.take('fast')).toEqual({ rssBytes: 14824 * KiB, pssBytes: null, anonBytes: 13416 * KiB, anonHugeBytes: null, lazyFreeBytes: null, swapBytes: 0, regions: {}, memFreeBytes: 24267712 * KiB });
    } finally {
      probe.close();
    }
  });

  it('SampleProbe - a bad pid is a RangeError', () => {
    expect(() => new SampleProbe(0)).toThrow(RangeError);
    expect(() => new SampleProbe(1.5)).toThrow(RangeError);
  });
});

describe.skipIf(regionsChildUnavailable !== null)('SampleProbe (live kernel, regions child)', () => {
  let child: RegionsChild;
  beforeAll(async () => {
    child = await startRegionsChild();
  });
  afterAll(async () => {
    await child?.stop();
  });

  it('SampleProbe - repeated samples through kept-open files see the regions and the child cgroup', () => {
    const cgroup = memoryCgroupOf(child.pid);
    const probe = new SampleProbe(child.pid, { regions: child.regions, thp: true, memFree: true, ...(cgroup ? { cgroupPath: cgroup.dir } : {}) });
    const costsMs: number[] = [];
    try {
      let last = probe.take();
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        last = probe.take();
        costsMs.push(performance.now() - t0);
      }
      expect(last.rssBytes).toBeGreaterThanOrEqual(13 * MiB);
      expect(last.regions.huge?.anonHugeBytes).toBe(8 * MiB);
      expect(last.regions.lazy?.lazyFreeBytes).toBeGreaterThanOrEqual(4 * MiB - 64 * KiB);
      expect(last.regions.partial?.rssBytes).toBe(1 * MiB);
      expect(last.thp?.thp_fault_alloc).toBeGreaterThanOrEqual(4);
      expect(last.memFreeBytes).toBeGreaterThan(0);
      if (cgroup) expect(last.cgroup?.usageBytes).toBeGreaterThanOrEqual(last.rssBytes - 2 * MiB);
    } finally {
      probe.close();
    }
    costsMs.sort((a, b) => a - b);
    const mean = costsMs.reduce((a, b) => a + b, 0) / costsMs.length;
    console.info(`sample cost (smaps + vmstat + meminfo + cgroup): mean ${mean.toFixed(3)} ms, p50 ${costsMs[100]?.toFixed(3)} ms, p99 ${costsMs[198]?.toFixed(3)} ms`);
  });

  it('SampleProbe - a sample after the child exits is an error, not stale numbers', async () => {
    const other = await startRegionsChild();
    const probe = new SampleProbe(other.pid);
    try {
      expect(probe.take().rssBytes).toBeGreaterThan(0);
      expect(probe.take('fast').rssBytes).toBeGreaterThan(0);
      await other.stop();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(() => probe.take()).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(ESRCH|ENOENT)$/) }));
      expect(() => probe.take('fast')).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(ESRCH|ENOENT)$/) }));
    } finally {
      probe.close();
    }
  });
});
