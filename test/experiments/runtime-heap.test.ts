// End to end, on the real kernel: the runtime-heap experiment (seed 001 on Node/V8), quick profile,
// through the runner: a batch decoded, dropped, then the next batch inside a memory cgroup — OOM-killed
// when nothing collected the first one, fitting after gc() — the runtime's view (V8 heap, external)
// against RSS, and the young-generation size trading GC work for memory. The cgroup variants need
// root (a memory cgroup); the machine is checked to be as found afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { derived, metric, mib, ranOrSkip, staleBuild, unheld } from './helpers-alloc.js';
import { isRoot, machineState, ranHeld, runQuick, expectOomKilledIn, type MachineState, expectMachineAsBefore } from './helpers-kernel.js';

const ID = 'runtime-heap';
const VARIANTS = ['none', 'gc', 'gc-trim', 'old-space-64', 'semi-1mb', 'semi-64mb'];
const whySkip = !isRoot ? 'needs root: the next batch runs in a memory cgroup' : staleBuild(ID);
if (whySkip) console.warn(`skipping ${ID} end-to-end tests: ${whySkip}`);

describe.skipIf(whySkip !== null)(`${ID} (quick profile, real kernel)`, () => {
  let before: MachineState;
  let run: Run;
  let inputBytes: number;

  beforeAll(async () => {
    before = await machineState();
    run = await runQuick(ID, { variants: VARIANTS });
    inputBytes = Number(run.experiment.params.inputBytes);
  }, 900_000);

  afterAll(() => expectMachineAsBefore(before), 900_000);

  function ran(ctx: TestContext, id: string): VariantRun {
    return ranHeld(ctx, run, id);
  }

  it('every variant - its expectations hold', () => {
    for (const id of VARIANTS) {
      const v = ranOrSkip(run, id);
      expect(v, id).not.toBeNull();
      expect(unheld(v!), id).toEqual([]);
    }
  });

  it('none - the next batch is OOM-killed under the limit: the cgroup counts the kill, the child died of SIGKILL in the next phase', (ctx) => {
    const v = ran(ctx, 'none');
    expectOomKilledIn(v, 'next', 'end');
  });

  it("none - a pause shorter than V8's memory-reducer delay gives the dropped batch back neither to V8 nor to the kernel", (ctx) => {
    const v = ran(ctx, 'none');
    const idle = v.marks.find((m) => m.phase === 'idle')!;
    const next = v.marks.find((m) => m.phase === 'next')!;
    expect(next.tMs - idle.tMs).toBeGreaterThanOrEqual(4_000);
    expect(next.tMs - idle.tMs).toBeLessThan(8_000);
    expect(metric(v, 'v8.heapUsed@end:idle')).toBeGreaterThanOrEqual(0.9 * metric(v, 'v8.heapUsed@end:dropped'));
    expect(metric(v, 'rss@end:idle')).toBeGreaterThanOrEqual(0.9 * metric(v, 'rss@end:dropped'));
  });

  it('gc, gc-trim, old-space-64 - the same next batch under the same limit fits, with no OOM kill', (ctx) => {
    for (const id of ['gc', 'gc-trim', 'old-space-64']) {
      const v = ran(ctx, id);
      expect(derived(v, 'oomKills'), id).toBe(0);
      expect(derived(v, 'cgroupPeakBytes'), id).toBeLessThan(v.settings.cgroup!.limitBytes);
      expect(metric(v, 'records@end:next'), id).toBe(metric(v, 'records@end:decode'));
    }
  });

  it('gc - the input is Buffer memory outside the V8 heap: external grows by the input, heapUsed does not', (ctx) => {
    const v = ran(ctx, 'gc');
    expect(metric(v, 'v8.external@end:read') - metric(v, 'v8.external@end:baseline')).toBeGreaterThanOrEqual(0.9 * inputBytes);
    expect(metric(v, 'v8.heapUsed@end:read') - metric(v, 'v8.heapUsed@end:baseline')).toBeLessThan(0.25 * inputBytes);
  });

  it('gc, gc-trim - after gc() heapUsed and external are back near baseline, RSS is not; malloc_trim returns the Buffer memory', (ctx) => {
    const gc = ran(ctx, 'gc');
    const trim = ran(ctx, 'gc-trim');
    const heldAfterGc = metric(gc, 'rss@end:release') - metric(gc, 'rss@end:baseline');
    const heldAfterTrim = metric(trim, 'rss@end:release') - metric(trim, 'rss@end:baseline');
    console.log(`gc: heapUsed ${mib(metric(gc, 'v8.heapUsed@end:decode'))} -> ${mib(metric(gc, 'v8.heapUsed@end:release'))}; RSS held above baseline after gc ${mib(heldAfterGc)}, after gc + trim ${mib(heldAfterTrim)}`);
    expect(metric(gc, 'v8.heapUsed@end:release')).toBeLessThan(metric(gc, 'v8.heapUsed@end:baseline') + 0.05 * inputBytes);
    expect(metric(gc, 'v8.external@end:release')).toBeLessThan(metric(gc, 'v8.external@end:baseline') + 0.05 * inputBytes);
    expect(heldAfterGc).toBeGreaterThanOrEqual(0.5 * inputBytes);
    expect(heldAfterGc - heldAfterTrim).toBeGreaterThanOrEqual(0.25 * heldAfterGc);
  });

  it('semi-1mb vs semi-64mb - a small young generation runs many more GCs while decoding, with a smaller heap', (ctx) => {
    const small = ran(ctx, 'semi-1mb');
    const large = ranOrSkip(run, 'semi-64mb');
    if (!large) ctx.skip();
    const gcSmall = metric(small, 'gc.count@end:decode');
    const gcLarge = metric(large!, 'gc.count@end:decode');
    console.log(
      `semi-1mb: ${gcSmall} GCs, heapTotal ${mib(metric(small, 'v8.heapTotal@end:decode'))}; ` +
        `semi-64mb: ${gcLarge} GCs, heapTotal ${mib(metric(large!, 'v8.heapTotal@end:decode'))}`,
    );
    expect(gcSmall).toBeGreaterThanOrEqual(3 * gcLarge);
    expect(metric(large!, 'v8.heapTotal@end:decode')).toBeGreaterThan(metric(small, 'v8.heapTotal@end:decode') + 16 * 1024 * 1024);
  });

  it('semi-64mb - V8 keeps its enlarged young generation after a full GC: heapTotal stays above 32 MiB with ~nothing used', (ctx) => {
    const v = ran(ctx, 'semi-64mb');
    expect(metric(v, 'v8.heapTotal@end:release')).toBeGreaterThan(32 * 1024 * 1024);
    expect(metric(v, 'v8.heapUsed@end:release')).toBeLessThan(0.25 * metric(v, 'v8.heapTotal@end:release'));
  });
});
