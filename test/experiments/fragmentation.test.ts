// End to end, on the real kernel: the fragmentation experiment (seed 002), quick profile, every variant
// through the runner: survivors pin pages in proportion to 1/K, the allocator layers account for RSS,
// and pooling the survivors apart lets RSS fall to near the live bytes.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { derived, metric, MiB, mib, ranOrSkip, runQuickVariants, staleBuild, unheld } from './helpers-alloc.js';
import { ranHeld } from './helpers-kernel.js';

const ID = 'fragmentation';
const VARIANTS = ['glibc-k1000', 'glibc-k100', 'glibc-k10', 'glibc-k10-pool', 'jemalloc-k1000', 'jemalloc-k100', 'jemalloc-k10', 'jemalloc-k10-pool'];
/** survivors in runs of neighbours, and short-lived blocks freed the way a collector with GOGC=100 frees them */
const SHAPES = ['glibc-k10-c16', 'glibc-k10-gc100', 'jemalloc-k10-gc100'];
const whySkip = staleBuild(ID);
if (whySkip) console.warn(`skipping ${ID} end-to-end tests: ${whySkip}`);

describe.skipIf(whySkip !== null)(`${ID} (quick profile, real kernel)`, () => {
  let run: Run;
  let burstBytes: number;

  beforeAll(async () => {
    run = await runQuickVariants(ID, [...VARIANTS, ...SHAPES]);
    burstBytes = Number(run.experiment.params.burstBytes);
  }, 600_000);

  function ran(ctx: TestContext, id: string): VariantRun {
    return ranHeld(ctx, run, id);
  }


  it('every variant - the burst is resident, then only 1/K of it stays live', () => {
    for (const id of VARIANTS) {
      const v = ranOrSkip(run, id);
      if (!v) continue;
      const k = Number(id.match(/-k(\d+)/)![1]);
      expect(derived(v, 'burstGrowthBytes'), id).toBeGreaterThanOrEqual(0.8 * burstBytes);
      const live = derived(v, 'liveBytes');
      expect(live, id).toBeGreaterThan((0.5 * burstBytes) / k);
      expect(live, id).toBeLessThan((2 * burstBytes) / k);
    }
  });

  it('glibc-k10 - survivors on almost every page: RSS stays at the burst after malloc_trim, > 3x live', (ctx) => {
    const v = ran(ctx, 'glibc-k10');
    const held = derived(v, 'heldAfterPurgeBytes');
    console.log(`glibc-k10: live ${mib(derived(v, 'liveBytes'))}, held after free ${mib(derived(v, 'heldAfterFreeBytes'))}, after trim ${mib(held)}`);
    expect(held).toBeGreaterThanOrEqual(0.6 * burstBytes);
    expect(held).toBeGreaterThanOrEqual(3 * derived(v, 'liveBytes'));
  });

  it('glibc - free() returns nothing of a pinned burst; its free chunks are counted in fordblks (layer.free)', (ctx) => {
    const v = ran(ctx, 'glibc-k100');
    expect(derived(v, 'heldAfterFreeBytes')).toBeGreaterThanOrEqual(0.8 * burstBytes);
    expect(metric(v, 'layer.free@end:freed')).toBeGreaterThanOrEqual(0.8 * burstBytes);
    // malloc_trim returns the whole free pages between survivors, but not the pages they sit on
    expect(derived(v, 'heldAfterPurgeBytes')).toBeLessThan(0.6 * derived(v, 'heldAfterFreeBytes'));
    expect(derived(v, 'heldAfterPurgeBytes')).toBeGreaterThanOrEqual(5 * derived(v, 'liveBytes'));
  });

  for (const allocator of ['glibc', 'jemalloc']) {
    it(`${allocator} - pinning grows as K shrinks: RSS after purge for K=1000 < K=100 < K=10`, (ctx) => {
      const vs = [1000, 100, 10].map((k) => ranOrSkip(run, `${allocator}-k${k}`));
      if (vs.some((v) => v === null)) ctx.skip();
      const held = vs.map((v) => derived(v!, 'heldAfterPurgeBytes'));
      console.log(`${allocator}: held after purge K=1000 ${mib(held[0]!)}, K=100 ${mib(held[1]!)}, K=10 ${mib(held[2]!)}`);
      expect(held[0]! + 4 * MiB).toBeLessThan(held[1]!);
      expect(held[1]! + 4 * MiB).toBeLessThan(held[2]!);
    });

    it(`${allocator}-k10-pool - with the survivors pooled apart RSS falls to <= 2x live, a fraction of the pinned case`, (ctx) => {
      const pool = ran(ctx, `${allocator}-k10-pool`);
      const pinned = ranOrSkip(run, `${allocator}-k10`);
      if (!pinned) ctx.skip();
      const heldPool = derived(pool, 'heldAfterPurgeBytes');
      console.log(`${allocator} K=10: pinned ${mib(derived(pinned!, 'heldAfterPurgeBytes'))}, pooled ${mib(heldPool)}, live ${mib(derived(pool, 'liveBytes'))}`);
      expect(heldPool).toBeLessThanOrEqual(2 * derived(pool, 'liveBytes'));
      expect(heldPool).toBeLessThan(0.3 * derived(pinned!, 'heldAfterPurgeBytes'));
    });
  }

  it('jemalloc-k100 - layers: free slots inside pinned slabs (active − allocated) and dirty pages; a purge turns dirty into released', (ctx) => {
    const v = ran(ctx, 'jemalloc-k100');
    const freeInUsed = metric(v, 'layer.free@end:freed');
    const dirty = metric(v, 'layer.dirty@end:freed');
    console.log(`jemalloc-k100 after free: live ${mib(metric(v, 'layer.live@end:freed'))}, free in used pages ${mib(freeInUsed)}, dirty ${mib(dirty)}`);
    expect(freeInUsed).toBeGreaterThanOrEqual(0.2 * burstBytes);
    expect(dirty).toBeGreaterThanOrEqual(0.2 * burstBytes);
    expect(metric(v, 'layer.dirty@end:purged')).toBeLessThanOrEqual(1 * MiB);
    expect(metric(v, 'layer.released@end:purged') - metric(v, 'layer.released@end:freed')).toBeGreaterThanOrEqual(0.7 * dirty);
    // what stays resident after the purge is the pinned slabs: free-in-used-pages does not move
    expect(metric(v, 'layer.free@end:purged')).toBeGreaterThanOrEqual(0.9 * freeInUsed);
  });

  it('jemalloc-k10-pool - pooled survivors leave no free slots in used pages: the freed burst is all dirty, then released', (ctx) => {
    const v = ran(ctx, 'jemalloc-k10-pool');
    expect(metric(v, 'layer.free@end:freed')).toBeLessThanOrEqual(0.05 * burstBytes);
    expect(metric(v, 'layer.dirty@end:freed')).toBeGreaterThanOrEqual(0.6 * burstBytes);
    expect(metric(v, 'layer.dirty@end:purged')).toBeLessThanOrEqual(1 * MiB);
  });

  it('glibc-k10-c16 - survivors in runs of 16 neighbours share pages: after malloc_trim RSS is a few times live (seed 002: 3.6x), not the 10x of scattered ones', (ctx) => {
    const clustered = ran(ctx, 'glibc-k10-c16');
    const scattered = ran(ctx, 'glibc-k10');
    const ratio = derived(clustered, 'heldOverLive');
    console.log(`glibc-k10-c16 held/live ${ratio.toFixed(2)}, glibc-k10 ${derived(scattered, 'heldOverLive').toFixed(2)}`);
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(0.5 * derived(scattered, 'heldOverLive'));
  });

  it('glibc-k10-gc100, jemalloc-k10-gc100 - freed like GOGC=100, the burst reuses its own room (RSS grows by < 60% of it) and survivors still hold > 1.5x live', (ctx) => {
    for (const id of ['glibc-k10-gc100', 'jemalloc-k10-gc100']) {
      const v = ran(ctx, id);
      expect(metric(v, 'burst.collections@end:burst'), id).toBeGreaterThan(1);
      expect(derived(v, 'burstGrowthBytes'), id).toBeLessThan(0.6 * burstBytes);
      expect(derived(v, 'heldOverLive'), id).toBeGreaterThan(1.5);
    }
  });
});
