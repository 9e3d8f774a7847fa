// End to end, on the real kernel: the faiss-cycles experiment (seed 000), quick profile, through the
// runner. faiss's allocations per cycle on long-lived threads (the cgo shape): glibc gives most back
// by itself and malloc_trim adds little, MALLOC_ARENA_MAX caps the arenas, jemalloc / mimalloc /
// tcmalloc keep several times what glibc keeps (the seed's "jemalloc made it worse"), decay 0 and
// background threads fix jemalloc; on fresh threads jemalloc gives it back at each thread's exit.
// Every variant asserts its own measured fact. Variants whose allocator is missing are skipped by
// the runner, with the reason printed.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { derived, metric, mib, MiB, ranOrSkip, runQuickVariants, staleBuild } from './helpers-alloc.js';
import { ranHeld } from './helpers-kernel.js';

const ID = 'faiss-cycles';
const POOL = ['glibc', 'glibc-trim', 'glibc-arena2', 'jemalloc', 'jemalloc-decay0', 'jemalloc-bg', 'mimalloc', 'tcmalloc'];
const VARIANTS = [...POOL, 'jemalloc-fresh', 'glibc-main'];
const whySkip = staleBuild(ID);
if (whySkip) console.warn(`skipping ${ID} end-to-end tests: ${whySkip}`);

/** The tids the cycles ran on, in cycle order (reported by the replay after each cycle). */
function cycleTids(v: VariantRun): number[] {
  return v.reports.flatMap((r) => (typeof r.values['cycle.tid'] === 'number' ? [r.values['cycle.tid']] : []));
}

describe.skipIf(whySkip !== null)(`${ID} (quick profile, real kernel)`, () => {
  let run: Run;
  let cycles: number;

  beforeAll(async () => {
    run = await runQuickVariants(ID, VARIANTS);
    cycles = Number(run.experiment.params.cycles);
    for (const id of VARIANTS) {
      const v = ranOrSkip(run, id);
      if (v) console.log(`${id}: peak ${mib(derived(v, 'peakAboveBaselineBytes'))}, mean held ${mib(derived(v, 'meanHeldBytes'))}, after cycles ${mib(derived(v, 'heldAfterCyclesBytes'))}, after idle ${mib(derived(v, 'heldAtEndBytes'))}`);
    }
  }, 900_000);

  const ran = (ctx: TestContext, id: string): VariantRun => ranHeld(ctx, run, id);
  const glibcMean = (ctx: TestContext): number => derived(ran(ctx, 'glibc'), 'meanHeldBytes');

  it('glibc - pool shape: the cycles alternate over 2 long-lived threads, each freeing what it made; on average under half of a peak stays', (ctx) => {
    const v = ran(ctx, 'glibc');
    const tids = cycleTids(v);
    expect(tids).toHaveLength(cycles);
    expect(new Set(tids).size).toBe(2);
    expect(tids[2]).toBe(tids[0]);
    const freeTids = v.reports.flatMap((r) => (typeof r.values['cycle.freeTid'] === 'number' ? [r.values['cycle.freeTid']] : []));
    expect(freeTids).toEqual(tids);
    expect(derived(v, 'peakAboveBaselineBytes')).toBeGreaterThanOrEqual(200_000 * 64 * 4);
    expect(derived(v, 'meanHeldBytes')).toBeLessThanOrEqual(0.5 * derived(v, 'peakAboveBaselineBytes'));
  });

  it('glibc-trim - malloc_trim(0) after each cycle changes little: thread arenas\' top chunks stay (≥ 8 MiB in some cycle, at least half of glibc\'s mean)', (ctx) => {
    const v = ran(ctx, 'glibc-trim');
    expect(derived(v, 'maxHeldBytes')).toBeGreaterThanOrEqual(8 * MiB);
    expect(derived(v, 'meanHeldBytes')).toBeGreaterThanOrEqual(0.5 * glibcMean(ctx));
  });

  it('glibc-arena2 - MALLOC_ARENA_MAX=2: two arenas for the whole process, where glibc default has one per thread', (ctx) => {
    const v = ran(ctx, 'glibc-arena2');
    expect(metric(v, 'glibc.arenas@end:idle')).toBeLessThanOrEqual(2);
    expect(metric(ran(ctx, 'glibc'), 'glibc.arenas@end:idle')).toBeGreaterThan(2);
  });

  it('jemalloc - on long-lived threads it keeps the freed working set, idle or not: ≥ 2× what glibc keeps (the seed\'s "worse")', (ctx) => {
    const v = ran(ctx, 'jemalloc');
    expect(derived(v, 'heldAfterCyclesBytes')).toBeGreaterThanOrEqual(0.6 * derived(v, 'peakAboveBaselineBytes'));
    expect(derived(v, 'returnedWhileIdleBytes')).toBeLessThanOrEqual(0.2 * derived(v, 'heldAfterCyclesBytes'));
    expect(derived(v, 'heldAfterCyclesBytes')).toBeGreaterThanOrEqual(2 * glibcMean(ctx));
    // jemalloc's own count: the pages it holds dirty
    expect(metric(v, 'alloc.free@end:idle')).toBeGreaterThanOrEqual(0.5 * derived(v, 'heldAfterCyclesBytes'));
  });

  it('jemalloc-decay0 - dirty_decay_ms:0 purges at every free: under a tenth of the peak stays, almost nothing dirty', (ctx) => {
    const v = ran(ctx, 'jemalloc-decay0');
    expect(derived(v, 'heldAfterCyclesBytes')).toBeLessThanOrEqual(0.1 * derived(v, 'peakAboveBaselineBytes'));
    expect(metric(v, 'alloc.free@end:idle')).toBeLessThanOrEqual(4 * MiB);
  });

  it('jemalloc-bg - background threads purge while the service idles 2 × the decay time: at least half goes back', (ctx) => {
    const v = ran(ctx, 'jemalloc-bg');
    const markAt = (phase: string): number => v.marks.find((m) => m.phase === phase)!.tMs;
    expect(markAt('shutdown') - markAt('idle')).toBeGreaterThanOrEqual(20_000);
    expect(derived(v, 'heldAfterCyclesBytes')).toBeGreaterThanOrEqual(0.6 * derived(v, 'peakAboveBaselineBytes'));
    expect(derived(v, 'returnedWhileIdleBytes')).toBeGreaterThanOrEqual(0.5 * derived(v, 'heldAfterCyclesBytes'));
  });

  it('mimalloc - per-thread heaps of long-lived threads keep the working set: ≥ 2× what glibc keeps, nothing back while idle', (ctx) => {
    const v = ran(ctx, 'mimalloc');
    expect(derived(v, 'heldAfterCyclesBytes')).toBeGreaterThanOrEqual(0.6 * derived(v, 'peakAboveBaselineBytes'));
    expect(derived(v, 'heldAfterCyclesBytes')).toBeGreaterThanOrEqual(2 * glibcMean(ctx));
    expect(derived(v, 'returnedWhileIdleBytes')).toBeLessThanOrEqual(0.2 * derived(v, 'heldAfterCyclesBytes'));
  });

  it('tcmalloc - the page heap keeps the working set, the training array included: ≥ 2× what glibc keeps', (ctx) => {
    const v = ran(ctx, 'tcmalloc');
    expect(derived(v, 'heldAfterCyclesBytes')).toBeGreaterThanOrEqual(0.6 * derived(v, 'peakAboveBaselineBytes'));
    expect(derived(v, 'heldAfterCyclesBytes')).toBeGreaterThanOrEqual(2 * glibcMean(ctx));
    expect(derived(v, 'returnedWhileIdleBytes')).toBeLessThanOrEqual(0.2 * derived(v, 'heldAfterCyclesBytes'));
  });

  it('jemalloc-fresh - a fresh thread per cycle: every cycle on a new tid, and each exit gives the memory back (≤ a fifth of the peak stays)', (ctx) => {
    const v = ran(ctx, 'jemalloc-fresh');
    expect(new Set(cycleTids(v)).size).toBe(cycles);
    expect(derived(v, 'heldAfterCyclesBytes')).toBeLessThanOrEqual(0.2 * derived(v, 'peakAboveBaselineBytes'));
  });

  it('glibc-main - every cycle on the main thread (one tid), and glibc still gives most back', (ctx) => {
    const v = ran(ctx, 'glibc-main');
    expect(new Set(cycleTids(v)).size).toBe(1);
    expect(derived(v, 'meanHeldBytes')).toBeLessThanOrEqual(0.5 * derived(v, 'peakAboveBaselineBytes'));
  });
});
