// Smoke test of `npm run bench`: the quick profile runs every bench against the real kernel and writes
// a JSON file with the figures. No timing is asserted (a shared 2-core machine): only that each figure
// was measured on what it claims to measure.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResults } from '../../src/bench/result.js';

const MAIN = join(import.meta.dirname, '../../dist/src/bench/main.js');
const MiB = 1024 * 1024;

async function bench(args: string[]) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build:ts\` (npm test does it in pretest)`);
  return execa(process.execPath, [MAIN, ...args], { reject: false, timeout: 300_000 });
}

describe('npm run bench', () => {
  it('bench --quick - writes valid JSON with every bench measured and prints the tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsslab-bench-test-'));
    try {
      const out = join(dir, 'r.json');
      const r = await bench(['--quick', '--out', out]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('Sampler');
      expect(r.stdout).toContain(`figures written to ${out}`);
      const res = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
      expect(res.schema).toBe('rsslab-bench');
      expect(res.profile).toBe('quick');
      expect(res.errors).toEqual([]);
      expect(res.machine.pageSize).toBe(4096);
      expect(res.loadAverage.start).toHaveLength(3);
      expect(res.loadAverage.end).toHaveLength(3);

      // sampler: three probes per child; the child really held its memory and its mappings
      expect(res.sampler.map((s) => s.mode).sort()).toEqual(['fast', 'fast', 'full', 'full', 'region', 'region']);
      for (const s of res.sampler) {
        expect(s.holder.rssBytes).toBeGreaterThanOrEqual(s.holder.totalBytes);
        expect(s.holder.vmaCount).toBeGreaterThanOrEqual(s.holder.mappings);
        expect(s.backToBack.costMs.count).toBeGreaterThanOrEqual(5);
        expect(s.backToBack.costMs.median).toBeGreaterThan(0);
        expect(s.atDefaultInterval.count).toBeGreaterThan(0);
        // each sample alternated with a raw read of the same file
        expect(s.raw.costMs.count).toBe(s.backToBack.costMs.count);
        expect(s.raw.file).toBe({ fast: 'status', full: 'smaps_rollup', region: 'smaps' }[s.mode]);
        expect(s.cpuRatio).toBeGreaterThan(0);
      }
      const single = res.sampler.find((s) => s.holder.mappings === 1)!;
      const split = res.sampler.find((s) => s.holder.mappings === 10)!;
      // MADV_NOHUGEPAGE on every other mapping keeps the kernel from merging them into one VMA
      expect(split.holder.vmaCount).toBeGreaterThanOrEqual(single.holder.vmaCount + 9);

      // page map: every page of the 16 MiB region is resident in small pages
      expect(res.pageMap).toHaveLength(1);
      const pm = res.pageMap[0]!;
      expect(pm.pages.resident + pm.pages.huge).toBe((16 * MiB) / 4096);
      expect(pm.durationMs.count).toBe(4); // 2 × pageMapRepeats rounds, each with its raw C read
      expect(pm.identical).toBe(true); // the native classifier and the JS decode gave the same pages
      // every small page needs its own kpageflags entry; only PMD-mapped blocks (THP "always" set by
      // someone else) may be read by their head
      expect(pm.nativeKpageflags.entries).toBeGreaterThanOrEqual(pm.pages.resident);
      expect(pm.nativeKpageflags.headOnlyBlocks * 512).toBeLessThanOrEqual(pm.pages.huge);
      if (pm.raw) {
        expect(pm.raw.durationMs.count).toBe(4);
        expect(pm.raw.kpageflagsReads).toBeGreaterThan(0);
        // the C reference reads an entry for every PFN; the pagemap read alone is part of it
        expect(pm.raw.kpageflagsEntries).toBeGreaterThanOrEqual((16 * MiB) / 4096);
        expect(pm.raw.pagemapMs.count).toBe(4);
        if (pm.raw.scanMs) expect(pm.raw.scanMs.median).toBeGreaterThan(0);
        expect(pm.ratio).toBeGreaterThan(0);
      }

      // addon: the JS and C loops made the same madvise calls (4 blocks × 511 pages for 8 MiB)
      if (res.skipped.some((s) => s.bench === 'addon')) {
        console.warn(`addon bench skipped: ${res.skipped.find((s) => s.bench === 'addon')!.reason}`);
      } else {
        expect(res.addon.figures.map((a) => a.hint)).toEqual(['none', 'hugepage']);
        for (const a of res.addon.figures) {
          expect(a.calls).toBe(4 * 511);
          expect(a.ratio).toBeGreaterThan(0);
          expect(a.batchedRatio).toBeGreaterThan(0);
          expect(a.batchedMs.count).toBe(a.cMs.count);
          // both C references ran every round: the seed's single thread, and Node's thread count
          expect(a.sides.cThreaded.ms.count).toBe(a.cMs.count);
          expect(a.nodeThreads).toBeGreaterThan(1);
          expect(a.cpuRatio).toBeGreaterThan(0);
          expect(a.batchedThreadedRatio).toBeGreaterThan(0);
          expect(a.crossingNs).toBeGreaterThan(0);
          expect(a.floorRatio).toBeGreaterThan(1);
        }
      }

      // report: a real two-variant run rendered into one file, the chart library inlined deflated
      expect(res.report).not.toBeNull();
      expect(res.report!.run.variants).toBe(2);
      expect(res.report!.run.samples).toBeGreaterThan(0);
      expect(res.report!.inlinedLibraryBytes).toBeLessThan(res.report!.bundleBytes);
      expect(res.report!.reportBytes).toBeGreaterThan(res.report!.inlinedLibraryBytes);
      expect(r.stdout).toContain('Goals, each against its reference');
      // the long report: the quick profile feeds 18,000 watch samples (and says it is not an hour), every
      // one logged, the Run holding the downsample; opened in chromium unless it is absent, which is said
      const l = res.longReport!;
      expect(l).not.toBeNull();
      expect(l.samplesFed).toBe(18_000);
      expect(l.samplesLogged).toBe(l.samplesFed);
      expect(l.samplesKept).toBeGreaterThan(0);
      expect(l.samplesKept).toBeLessThan(l.samplesFed);
      expect(l.reportBytes).toBeGreaterThan(res.report!.inlinedLibraryBytes);
      expect(r.stdout).toContain('long watch report (18,000 samples, NOT an hour');
      if (l.open) {
        expect(l.openSkipped).toBeNull();
        expect(l.open.charts).toBeGreaterThan(0);
        expect(l.open.drawnMs.count).toBe(1);
        expect(l.open.drawnMs.median).toBeGreaterThan(0);
      } else {
        expect(l.openSkipped).toMatch(/absent/);
        expect(r.stdout).toContain(`skipped: ${l.openSkipped}`);
        console.warn(`long report not opened: ${l.openSkipped}`);
      }

      // reproduce: MADV_FREE's LazyFree was seen, and no knob was left changed
      expect(res.reproduce).toHaveLength(1);
      const c = res.reproduce[0]!;
      expect(c.experiment).toBe('madv-free');
      expect(c.status).toBe('ok');
      expect(c.effectAfterPhaseMs).not.toBeNull();
      expect(c.effectSinceSpawnMs!).toBeGreaterThanOrEqual(c.effectAfterPhaseMs!);
      expect(c.knobsRestored).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000); // the whole quick bench on a shared machine: as long as the execa timeout above

  it('bench --only - an unknown bench name exits 2 and names the benches', async () => {
    const r = await bench(['--quick', '--only', 'sampler,nope']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown bench "nope".*reproduce, sampler, addon, pagemap/);
  });

  it('bench --only - runs just the benches named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsslab-bench-test-'));
    try {
      const out = join(dir, 'r.json');
      const r = await bench(['--quick', '--only', 'pagemap', '--out', out]);
      expect(r.exitCode, r.stderr).toBe(0);
      const res = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
      expect(res.benches).toEqual(['pagemap']);
      expect(res.pageMap).toHaveLength(1);
      expect(res.sampler).toEqual([]);
      expect(res.reproduce).toEqual([]);
      expect(res.addon.figures).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
