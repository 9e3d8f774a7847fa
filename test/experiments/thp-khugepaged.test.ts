// End to end, on the real kernel: the thp-khugepaged experiment (seed 004), quick profile, every variant,
// through the runner with khugepaged sped up, then the machine checked to be exactly as found.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { isRoot, machineState, metric, runQuick, staleBuild, type MachineState, ranHeld, expectMachineAsBefore } from './helpers-kernel.js';

const ID = 'thp-khugepaged';
const whySkip = !isRoot
  ? 'needs root: it changes khugepaged knobs and creates a memory cgroup'
  : !existsSync('/sys/kernel/mm/transparent_hugepage/enabled')
    ? 'this kernel has no transparent huge pages'
    : staleBuild(ID);
if (whySkip) console.warn(`skipping ${ID} end-to-end tests: ${whySkip}`);

describe.skipIf(whySkip !== null)(`${ID} (quick profile, real kernel)`, () => {
  let before: MachineState;
  let run: Run;
  let regionBytes: number;

  beforeAll(async () => {
    before = await machineState();
    run = await runQuick(ID);
    regionBytes = Number(run.experiment.params.regionBytes);
  }, 600_000);

  afterAll(() => expectMachineAsBefore(before), 900_000);

  /** The variant's run, or a skip with the runner's reason (e.g. no MADV_COLLAPSE on this kernel). */
  function ran(ctx: TestContext, id: string): VariantRun {
    return ranHeld(ctx, run, id);
  }


  it('run - khugepaged was sped up and every knob change is recorded and restored', () => {
    expect(run.systemLog.some((l) => l.includes('khugepaged/scan_sleep_millisecs'))).toBe(true);
    const restored = run.systemLog.filter((l) => l.startsWith('restored'));
    expect(restored.length).toBeGreaterThan(0);
  });

  it('free - the partial MADV_DONTNEED leaves under 5% of the region resident in every variant (khugepaged is sped up only after this sample)', () => {
    for (const v of run.variants) {
      expect(metric(v, 'region.main.rss@end:touch'), v.variant).toBeGreaterThanOrEqual(0.95 * regionBytes);
      expect(metric(v, 'region.main.rss@end:free'), v.variant).toBeLessThanOrEqual(0.05 * regionBytes);
    }
  });

  it('default - khugepaged regrows at least 90% of the freed region as huge pages while the program idles', (ctx) => {
    const v = ran(ctx, 'default');
    expect(metric(v, 'region.main.rss@max:idle')).toBeGreaterThanOrEqual(0.9 * regionBytes);
    expect(metric(v, 'region.main.anonHuge@end:idle')).toBeGreaterThanOrEqual(0.9 * regionBytes);
    // the region's own smaps (not /proc/vmstat, which counts every process khugepaged visits): one
    // huge page per regrown 2 MiB block, built while the program idled
    expect(metric(v, 'region.main.anonHuge@delta:idle')).toBeGreaterThanOrEqual(0.9 * regionBytes);
    // regrown within the idle phase, after khugepaged's first visit
    const regrowMs = metric(v, 'metric.regrowMs');
    expect(regrowMs).toBeGreaterThanOrEqual(metric(v, 'metric.firstRegrowMs'));
    expect(regrowMs).toBeLessThanOrEqual(Number(run.experiment.params.idleMs));
  });

  it('nohugepage - MADV_NOHUGEPAGE keeps the region under 5% through the idle phase', (ctx) => {
    const v = ran(ctx, 'nohugepage');
    expect(metric(v, 'region.main.rss@max:idle')).toBeLessThanOrEqual(0.05 * regionBytes);
    expect(metric(v, 'region.main.anonHuge@max:idle')).toBe(0);
  });

  it('thp-disable - PR_SET_THP_DISABLE in the child keeps the region under 5% and has no huge pages at all', (ctx) => {
    const v = ran(ctx, 'thp-disable');
    expect(v.settings.thpDisable).toBe(true);
    expect(metric(v, 'region.main.anonHuge@end:touch')).toBe(0);
    expect(metric(v, 'region.main.rss@max:idle')).toBeLessThanOrEqual(0.05 * regionBytes);
  });

  it('max-ptes-none-0 - huge pages at fault, but khugepaged refuses blocks with empty slots', (ctx) => {
    const v = ran(ctx, 'max-ptes-none-0');
    expect(v.settings.knobs.some((k) => k.path.endsWith('khugepaged/max_ptes_none') && k.to === '0')).toBe(true);
    expect(metric(v, 'region.main.anonHuge@end:touch')).toBeGreaterThanOrEqual(0.9 * regionBytes);
    expect(metric(v, 'region.main.rss@max:idle')).toBeLessThanOrEqual(0.05 * regionBytes);
  });

  it('thp-never - with THP off machine-wide nothing regrows', (ctx) => {
    const v = ran(ctx, 'thp-never');
    expect(v.settings.thp.enabled).toBe('never');
    expect(metric(v, 'region.main.rss@max:idle')).toBeLessThanOrEqual(0.05 * regionBytes);
  });

  it('thp-always - without any madvise, THP "always" regrows the region too', (ctx) => {
    const v = ran(ctx, 'thp-always');
    expect(v.settings.thp.enabled).toBe('always');
    expect(metric(v, 'region.main.rss@max:idle')).toBeGreaterThanOrEqual(0.9 * regionBytes);
  });

  it("go-workaround - under THP \"always\", MADV_NOHUGEPAGE before the partial free (Go 1.5–1.21.0's runtime) keeps the huge pages from coming back", (ctx) => {
    const v = ran(ctx, 'go-workaround');
    expect(v.settings.thp.enabled).toBe('always');
    // huge pages at fault (no hint needed under always), none after the free and the idle time
    expect(metric(v, 'region.main.anonHuge@end:touch')).toBeGreaterThanOrEqual(0.9 * regionBytes);
    expect(metric(v, 'region.main.rss@max:idle')).toBeLessThanOrEqual(0.05 * regionBytes);
    expect(metric(v, 'region.main.anonHuge@max:idle')).toBe(0);
  });

  it('collapse - MADV_COLLAPSE brings the whole region back as huge pages before any idle time', (ctx) => {
    const v = ran(ctx, 'collapse');
    expect(metric(v, 'region.main.anonHuge@end:collapse')).toBeGreaterThanOrEqual(0.9 * regionBytes);
    expect(metric(v, 'collapse.failedBlocks@last')).toBe(0);
  });

  it('pressure - the freed huge pages stay charged until cgroup pressure splits them', (ctx) => {
    const v = ran(ctx, 'pressure');
    expect(v.settings.cgroup).not.toBeNull();
    // RSS fell by the region, the cgroup's charge did not: deferred split, not freed
    expect(metric(v, 'cgroup.usage@end:idle')).toBeGreaterThanOrEqual(0.9 * regionBytes);
    // the cgroup's own memory.stat, not /proc/vmstat: after the free only the kept pages are mapped
    // while the whole region stays charged (queued huge pages) …
    expect(metric(v, 'cgroup.anon@end:free')).toBeLessThanOrEqual(0.1 * metric(v, 'cgroup.usage@end:free'));
    // … and after pressure the charge is what is mapped again: the queue was split and uncharged
    expect(metric(v, 'cgroup.usage@end:pressure')).toBeLessThanOrEqual(1.1 * metric(v, 'cgroup.anon@end:pressure'));
    // the second allocation fit under a limit it could not have fit under without the split
    const limit = v.settings.cgroup!.limitBytes;
    const pressure = metric(v, 'region.pressure.rss@end:pressure');
    expect(pressure + 0.9 * regionBytes).toBeGreaterThan(limit);
    expect(metric(v, 'cgroup.usage@max:pressure')).toBeLessThanOrEqual(limit);
  });
});
