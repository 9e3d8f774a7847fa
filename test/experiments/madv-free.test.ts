// End to end, on the real kernel: the madv-free experiment (seed 003), quick profile, every variant,
// through the runner (the pressure variant in a memory cgroup), then the machine checked to be as found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { features } from '../../src/core/features.js';
import { isRoot, machineState, metric, runQuick, staleBuild, type MachineState, ranHeld, expectMachineAsBefore, expectOomKilledIn } from './helpers-kernel.js';

const ID = 'madv-free';
const whySkip = !isRoot ? 'needs root: the pressure variant creates a memory cgroup' : staleBuild(ID);
if (whySkip) console.warn(`skipping ${ID} end-to-end tests: ${whySkip}`);

describe.skipIf(whySkip !== null)(`${ID} (quick profile, real kernel)`, () => {
  let before: MachineState;
  let run: Run;
  let regionBytes: number;
  let writeBytes: number;
  const pageSize = features().pageSize;

  beforeAll(async () => {
    before = await machineState();
    run = await runQuick(ID);
    regionBytes = Number(run.experiment.params.regionBytes);
    writeBytes = Number(run.experiment.params.writeBytes);
  }, 600_000);

  afterAll(() => expectMachineAsBefore(before), 900_000);

  function ran(ctx: TestContext, id: string): VariantRun {
    return ranHeld(ctx, run, id);
  }


  it('dontneed - MADV_DONTNEED drops RSS below 5% at once and leaves nothing lazily freed', (ctx) => {
    const v = ran(ctx, 'dontneed');
    expect(metric(v, 'region.main.rss@end:touch')).toBeGreaterThanOrEqual(0.95 * regionBytes);
    expect(metric(v, 'region.main.rss@end:free')).toBeLessThanOrEqual(0.05 * regionBytes);
    expect(metric(v, 'region.main.lazyFree@end:free')).toBe(0);
    // every unwritten page is gone and reads as zero; rewritten pages are fresh pages with the new data
    expect(metric(v, 'check.reclaimedPages@last')).toBe((regionBytes - writeBytes) / pageSize);
    expect(metric(v, 'check.reclaimedSum@last')).toBe(0);
    expect(metric(v, 'check.writtenIntactPages@last')).toBe(writeBytes / pageSize);
  });

  it('free - MADV_FREE keeps RSS at the region, counted as LazyFree, for as long as there is no pressure', (ctx) => {
    const v = ran(ctx, 'free');
    expect(metric(v, 'region.main.rss@min:hold')).toBeGreaterThanOrEqual(0.95 * regionBytes);
    expect(metric(v, 'region.main.lazyFree@end:free')).toBeGreaterThanOrEqual(0.95 * regionBytes);
    expect(metric(v, 'check.reclaimedPages@last')).toBe(0);
    expect(metric(v, 'check.keptIntactPages@last')).toBe((regionBytes - writeBytes) / pageSize);
  });

  it('free - a write after MADV_FREE cancels the free: LazyFree drops by the written bytes, RSS does not move', (ctx) => {
    const v = ran(ctx, 'free');
    const drop = metric(v, 'region.main.lazyFree@end:free') - metric(v, 'region.main.lazyFree@end:write');
    expect(drop).toBeGreaterThanOrEqual(0.95 * writeBytes);
    expect(drop).toBeLessThanOrEqual(1.05 * writeBytes);
    expect(metric(v, 'region.main.rss@end:write')).toBeGreaterThanOrEqual(0.95 * regionBytes);
    expect(metric(v, 'check.writtenIntactPages@last')).toBe(writeBytes / pageSize);
  });

  it('free-pressure - asked a fixed amount beyond the cgroup limit, the kernel reclaims about that much LazyFree and no more', (ctx) => {
    const v = ran(ctx, 'free-pressure');
    const limit = v.settings.cgroup!.limitBytes;
    expect(metric(v, 'metric.cgroupPeakBytes')).toBeGreaterThanOrEqual(0.95 * limit);
    const needed = metric(v, 'metric.reclaimNeededBytes');
    const reclaimed = metric(v, 'metric.lazyFreeReclaimedBytes');
    // the pressure asks the headroom plus pressureBeyondBytes: what is needed is at least that excess
    expect(needed).toBeGreaterThanOrEqual(Number(run.experiment.params.pressureBeyondBytes));
    expect(reclaimed).toBeGreaterThanOrEqual(0.8 * needed);
    expect(reclaimed).toBeLessThanOrEqual(1.3 * needed);
    expect(metric(v, 'metric.oomKills')).toBe(0);
    const pagesReclaimed = metric(v, 'check.reclaimedPages@last');
    expect(pagesReclaimed).toBeGreaterThan(0);
    expect(pagesReclaimed).toBeLessThan((regionBytes - writeBytes) / pageSize);
  });

  it('none - freed but never advised, the same pressure ends in an OOM kill: the cgroup counts it and the child died of SIGKILL', (ctx) => {
    const v = ran(ctx, 'none');
    expect(metric(v, 'lazyFree@end:free')).toBeLessThanOrEqual(0.05 * regionBytes);
    // killed during the pressure phase: the check phase never began
    expectOomKilledIn(v, 'pressure', 'check');
  });

  it('free-pressure - reclaimed pages read as zero, rewritten and unreclaimed pages keep their data', (ctx) => {
    const v = ran(ctx, 'free-pressure');
    expect(metric(v, 'check.reclaimedSum@last')).toBe(0);
    expect(metric(v, 'check.writtenIntactPages@last')).toBe(writeBytes / pageSize);
    expect(metric(v, 'check.keptIntactPages@last')).toBe(metric(v, 'check.keptPages@last'));
    expect(metric(v, 'check.keptPages@last') + metric(v, 'check.reclaimedPages@last')).toBe((regionBytes - writeBytes) / pageSize);
  });
});
