// End to end, on the real kernel: the faiss-cycles experiment (seed 000), quick profile, through the
// runner: glibc keeps the freed working set in its arenas, malloc_trim returns it, jemalloc keeps dirty
// pages while idle unless decay is 0 or background threads run it. Allocator variants whose library is
// missing are skipped by the runner, with the reason printed here.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { derived, metric, mib, ranOrSkip, runQuickVariants, staleBuild, unheld } from './helpers-alloc.js';
import { ranHeld } from './helpers-kernel.js';

const ID = 'faiss-cycles';
const VARIANTS = ['glibc-fresh', 'glibc-same', 'glibc-trim-fresh', 'glibc-mmap128k-fresh', 'jemalloc-fresh', 'jemalloc-decay0-fresh', 'mimalloc-fresh', 'tcmalloc-fresh'];
// jemalloc's decay curve spans dirty_decay_ms (10 s): the background-thread variant needs a longer idle.
// twice jemalloc's dirty_decay_ms (10 s): on a loaded machine the background thread's purge can lag the curve
const BG_IDLE_MS = 20_000;
const whySkip = staleBuild(ID);
if (whySkip) console.warn(`skipping ${ID} end-to-end tests: ${whySkip}`);

describe.skipIf(whySkip !== null)(`${ID} (quick profile, real kernel)`, () => {
  let run: Run;
  let bgRun: Run;
  let trainBytes: number;
  let threads: number;

  beforeAll(async () => {
    run = await runQuickVariants(ID, VARIANTS);
    bgRun = await runQuickVariants(ID, ['jemalloc-bg-fresh'], { finalIdleMs: BG_IDLE_MS });
    trainBytes = Number(run.experiment.params.trainBytes);
    threads = Number(run.experiment.params.threads);
  }, 900_000);

  function ran(ctx: TestContext, id: string, from: Run = run): VariantRun {
    return ranHeld(ctx, from, id);
  }


  function describeRun(v: VariantRun): string {
    return `${v.variant}: peak ${mib(derived(v, 'peakAboveBaselineBytes'))} above baseline, after cycles ${mib(derived(v, 'heldAfterCyclesBytes'))}, after idle ${mib(derived(v, 'heldAtEndBytes'))}, live ${mib(derived(v, 'liveAtEndBytes'))}`;
  }

  it('every variant - the training data is resident at the peak, and only the last index is live at the end', () => {
    for (const id of VARIANTS) {
      const v = ranOrSkip(run, id);
      if (!v) continue;
      console.log(describeRun(v));
      expect(derived(v, 'peakAboveBaselineBytes'), id).toBeGreaterThanOrEqual(trainBytes);
      const live = derived(v, 'liveAtEndBytes');
      expect(live, id).toBeGreaterThan(0.05 * trainBytes);
      expect(live, id).toBeLessThan(0.2 * trainBytes);
    }
  });

  it('glibc-fresh - after the cycles RSS stays >= 2x the live index above baseline, most of the working set', (ctx) => {
    const v = ran(ctx, 'glibc-fresh');
    expect(derived(v, 'heldAfterCyclesBytes')).toBeGreaterThanOrEqual(2 * derived(v, 'liveAtEndBytes'));
    expect(derived(v, 'keptShareAfterCycles')).toBeGreaterThanOrEqual(0.5);
    // and nothing comes back by waiting: glibc has no time-based release
    expect(derived(v, 'returnedWhileIdleBytes')).toBeLessThan(0.1 * derived(v, 'heldAfterCyclesBytes'));
  });

  it('glibc-fresh - fresh native threads spread the work over arenas: more arenas than worker threads', (ctx) => {
    const v = ran(ctx, 'glibc-fresh');
    expect(metric(v, 'glibc.arenas@end:idle')).toBeGreaterThan(threads);
  });

  it('glibc-same - on one long-lived thread glibc keeps the freed working set as well', (ctx) => {
    const v = ran(ctx, 'glibc-same');
    expect(derived(v, 'heldAfterCyclesBytes')).toBeGreaterThanOrEqual(2 * derived(v, 'liveAtEndBytes'));
  });

  it('glibc-trim-fresh - malloc_trim(0) after each cycle brings RSS near the live index, far below glibc default', (ctx) => {
    const trim = ran(ctx, 'glibc-trim-fresh');
    const plain = ranOrSkip(run, 'glibc-fresh');
    if (!plain) ctx.skip();
    expect(derived(trim, 'heldAfterCyclesBytes')).toBeLessThanOrEqual(3 * derived(trim, 'liveAtEndBytes'));
    expect(derived(trim, 'heldAfterCyclesBytes')).toBeLessThan(0.3 * derived(plain!, 'heldAfterCyclesBytes'));
  });

  it('glibc-mmap128k-fresh - a fixed mmap threshold keeps the large buffers out of the arenas: less free memory ever parked in them than glibc default', (ctx) => {
    const fixed = ran(ctx, 'glibc-mmap128k-fresh');
    const plain = ranOrSkip(run, 'glibc-fresh');
    if (!plain) ctx.skip();
    // Not RSS after the cycles: with 4 fresh threads, which arenas glibc hands out varies run to run
    // (measured 80–114 MiB held for the default, 90 MiB for the fixed threshold, in the quick profile).
    // The mechanism itself is steady: freed batch buffers never sit in the arenas (peak fordblks
    // 85 MiB against 104–109 MiB).
    expect(metric(fixed, 'alloc.free@max')).toBeLessThan(metric(plain!, 'alloc.free@max'));
  });

  it('jemalloc-fresh - idle without background threads, jemalloc keeps its dirty pages (the seed\'s "worse")', (ctx) => {
    const v = ran(ctx, 'jemalloc-fresh');
    expect(derived(v, 'heldAtEndBytes')).toBeGreaterThanOrEqual(2 * derived(v, 'liveAtEndBytes'));
    // jemalloc's own count: dirty+muzzy pages still held at the end
    expect(metric(v, 'alloc.free@end:idle')).toBeGreaterThanOrEqual(0.5 * derived(v, 'heldAfterCyclesBytes'));
  });

  it('jemalloc-decay0-fresh - decay 0 purges at every free: little of the working set stays, no dirty pages', (ctx) => {
    const v = ran(ctx, 'jemalloc-decay0-fresh');
    expect(derived(v, 'keptShareAfterCycles')).toBeLessThanOrEqual(0.3);
    expect(metric(v, 'alloc.free@end:idle')).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it('jemalloc-bg-fresh - background threads purge while the service idles', (ctx) => {
    const v = ran(ctx, 'jemalloc-bg-fresh', bgRun);
    console.log(describeRun(v));
    expect(derived(v, 'returnedWhileIdleBytes')).toBeGreaterThanOrEqual(0.3 * derived(v, 'heldAfterCyclesBytes'));
    expect(metric(v, 'alloc.free@end:idle')).toBeLessThan(0.5 * metric(v, 'alloc.free@start:idle'));
  });
});
