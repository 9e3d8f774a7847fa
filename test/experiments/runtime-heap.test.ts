// End to end, on the real kernel: the runtime-heap experiment (seed 001 on Node/V8), quick profile,
// every variant through the runner: the runtime's view (V8 heap, external) against RSS after a forced
// GC and after malloc_trim, and the young-generation size trading GC work for memory.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { derived, metric, mib, ranOrSkip, runQuickVariants, staleBuild, unheld } from './helpers-alloc.js';
import { ranHeld } from './helpers-kernel.js';

const ID = 'runtime-heap';
const VARIANTS = ['default', 'semi-1mb', 'semi-64mb', 'optimize-for-size'];
const whySkip = staleBuild(ID);
if (whySkip) console.warn(`skipping ${ID} end-to-end tests: ${whySkip}`);

describe.skipIf(whySkip !== null)(`${ID} (quick profile, real kernel)`, () => {
  let run: Run;
  let inputBytes: number;

  beforeAll(async () => {
    run = await runQuickVariants(ID, VARIANTS);
    inputBytes = Number(run.experiment.params.inputBytes);
  }, 600_000);

  function ran(ctx: TestContext, id: string): VariantRun {
    return ranHeld(ctx, run, id);
  }


  it('every variant - its expectations hold (GC empties the heap, RSS lags, trim returns more)', () => {
    for (const id of VARIANTS) {
      const v = ranOrSkip(run, id);
      expect(v, id).not.toBeNull();
      expect(unheld(v!), id).toEqual([]);
    }
  });

  it('default - the input is Buffer memory outside the V8 heap: external grows by the input, heapUsed does not', (ctx) => {
    const v = ran(ctx, 'default');
    expect(metric(v, 'v8.external@end:read') - metric(v, 'v8.external@end:baseline')).toBeGreaterThanOrEqual(0.9 * inputBytes);
    expect(metric(v, 'v8.heapUsed@end:read') - metric(v, 'v8.heapUsed@end:baseline')).toBeLessThan(0.25 * inputBytes);
  });

  it('default - dropping references frees nothing until a GC runs', (ctx) => {
    const v = ran(ctx, 'default');
    expect(metric(v, 'v8.heapUsed@end:dropped')).toBeGreaterThanOrEqual(0.9 * metric(v, 'v8.heapUsed@end:decode'));
    expect(metric(v, 'rss@end:dropped')).toBeGreaterThanOrEqual(0.9 * metric(v, 'rss@end:decode'));
  });

  it('default - after gc() heapUsed and external are back near baseline, RSS is not; malloc_trim returns the Buffer memory', (ctx) => {
    const v = ran(ctx, 'default');
    const heldAfterGc = derived(v, 'rssHeldAfterGcBytes');
    const freedByTrim = derived(v, 'rssFreedByTrimBytes');
    console.log(
      `default: heapUsed ${mib(metric(v, 'v8.heapUsed@end:decode'))} -> ${mib(metric(v, 'v8.heapUsed@end:gc'))}; ` +
        `RSS held above baseline after GC ${mib(heldAfterGc)}, after trim ${mib(derived(v, 'rssHeldAfterTrimBytes'))}`,
    );
    expect(metric(v, 'v8.heapUsed@end:gc')).toBeLessThan(metric(v, 'v8.heapUsed@end:baseline') + 0.05 * inputBytes);
    expect(metric(v, 'v8.external@end:gc')).toBeLessThan(metric(v, 'v8.external@end:baseline') + 0.05 * inputBytes);
    expect(heldAfterGc).toBeGreaterThanOrEqual(0.5 * inputBytes);
    expect(freedByTrim).toBeGreaterThanOrEqual(0.25 * heldAfterGc);
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
    expect(metric(v, 'v8.heapTotal@end:gc')).toBeGreaterThan(32 * 1024 * 1024);
    expect(metric(v, 'v8.heapUsed@end:gc')).toBeLessThan(0.25 * metric(v, 'v8.heapTotal@end:gc'));
  });
});
