// Seed 003 (the MADV_FREE case): Go 1.12–1.15 returned memory with MADV_FREE. The kernel takes such
// pages back only when it is short of memory, so RSS stays high and monitoring sees a leak that is not
// one; MADV_DONTNEED (GODEBUG=madvdontneed=1, the default from Go 1.16) drops RSS at once. Under real
// pressure (a memory cgroup) the kernel reclaims lazily freed pages, only as many as it needs; a write
// to a lazily freed page cancels the free, and a reclaimed page reads back as zeros.
import { defineExperiment, features, mapRegion } from '../src/lab/index.js';
import { evaluateMetric } from '../src/lab/index.js';
import type { ChildContext, Expectation, Region, VariantOutcome, VariantSpec } from '../src/lab/index.js';

const MiB = 1024 * 1024;
/** the byte written in every page at touch, and in the rewritten pages after the free */
const TOUCH_VALUE = 0x11;
const WRITE_VALUE = 0x22;

type FreeParams = {
  regionBytes: number;
  advice: string;
  holdMs: number;
  writeBytes: number;
  pressure: boolean;
  pressureBeyondBytes: number;
  pressureStepBytes: number;
  cgroupHeadroomBytes: number;
};

function cgroupLimit(p: FreeParams): number {
  return p.regionBytes + p.cgroupHeadroomBytes;
}

/**
 * What the pressure phase asks for: the headroom the limit leaves beside the region, plus a fixed
 * amount beyond it. Everything else in the cgroup (the process itself, the rewritten pages) is
 * already charged, so the kernel must find at least `pressureBeyondBytes` to reclaim — or OOM-kill.
 */
export function pressureBytes(p: Pick<FreeParams, 'cgroupHeadroomBytes' | 'pressureBeyondBytes'>): number {
  return p.cgroupHeadroomBytes + p.pressureBeyondBytes;
}

/**
 * A second consumer in the same cgroup maps and touches a fixed amount, in steps (so the sampler
 * sees reclaim happen), whatever the kernel does meanwhile: what was reclaimed is measured from
 * outside afterwards, not used to decide when to stop.
 */
async function applyPressure(ctx: ChildContext<FreeParams>): Promise<Region> {
  const p = ctx.params;
  const more = mapRegion(pressureBytes(p));
  await ctx.tag('pressure', more);
  // Small pages only, so the new region grows by exactly what is touched, whatever the THP mode.
  more.advise('nohugepage');
  let allocated = 0;
  while (allocated < more.length) {
    const length = Math.min(p.pressureStepBytes, more.length - allocated);
    more.touch({ offset: allocated, length, value: 0x33 });
    allocated += length;
    await ctx.sleep(20);
  }
  ctx.report({ 'pressure.allocatedBytes': allocated });
  return more;
}

/**
 * Which pages survived and what they read. Residency first: reading a page that is gone maps the
 * shared zero page, after which mincore would call it resident.
 */
function checkPages(ctx: ChildContext<FreeParams>, main: Region, writtenBytes: number): void {
  const pageSize = features().pageSize;
  const resident = main.residency().pages;
  const writtenPages = writtenBytes / pageSize;
  let writtenIntact = 0;
  let reclaimedPages = 0;
  let reclaimedSum = 0;
  let keptPages = 0;
  let keptIntact = 0;
  for (let i = 0; i < resident.length; i++) {
    const sum = main.checksum({ offset: i * pageSize, length: pageSize });
    if (i < writtenPages) {
      if (sum === WRITE_VALUE) writtenIntact += 1;
    } else if (resident[i] === 0) {
      reclaimedPages += 1;
      reclaimedSum += sum;
    } else {
      keptPages += 1;
      if (sum === TOUCH_VALUE) keptIntact += 1;
    }
  }
  ctx.report({
    'check.writtenPages': writtenPages,
    'check.writtenIntactPages': writtenIntact,
    'check.reclaimedPages': reclaimedPages,
    'check.reclaimedSum': reclaimedSum,
    'check.keptPages': keptPages,
    'check.keptIntactPages': keptIntact,
  });
}

async function body(ctx: ChildContext<FreeParams>): Promise<void> {
  const p = ctx.params;
  const { pageSize } = features();
  if (p.regionBytes % pageSize !== 0) throw new RangeError(`regionBytes ${p.regionBytes} must be a whole number of pages (${pageSize} bytes)`);
  if (p.writeBytes % pageSize !== 0 || p.writeBytes > p.regionBytes) {
    throw new RangeError(`writeBytes ${p.writeBytes} must be a whole number of pages (${pageSize} bytes) and at most regionBytes (${p.regionBytes})`);
  }
  const advice = p.advice;

  await ctx.phase('map', `mmap ${p.regionBytes / MiB} MiB`);
  const main = mapRegion(p.regionBytes);
  await ctx.tag('main', main);
  // Small pages: a huge page is lazily freed, re-dirtied and reclaimed as one 2 MiB unit, which would
  // hide the page-by-page behaviour this experiment is about (and THP "always" would give us one).
  main.advise('nohugepage');

  await ctx.phase('touch', 'write one byte in every page');
  main.touch({ value: TOUCH_VALUE });

  if (advice === 'none') {
    // A runtime that keeps its freed heap for reuse: nothing tells the kernel the pages are free.
    await ctx.phase('free', 'freed but never advised: the pages stay as they are');
  } else {
    await ctx.phase('free', advice === 'free' ? 'MADV_FREE the whole region' : 'MADV_DONTNEED the whole region');
    main.advise(advice === 'free' ? 'free' : 'dontneed');
  }

  await ctx.phase('hold', `nothing happens for ${p.holdMs} ms`);
  await ctx.sleep(p.holdMs);

  await ctx.phase('write', `write again to the first ${p.writeBytes / MiB} MiB`);
  main.touch({ length: p.writeBytes, value: WRITE_VALUE });

  let more: Region | null = null;
  if (p.pressure) {
    await ctx.phase('pressure', `another ${(pressureBytes(p) / MiB).toFixed(0)} MiB in the memory cgroup: ${(p.pressureBeyondBytes / MiB).toFixed(0)} MiB beyond its room`);
    more = await applyPressure(ctx);
  }

  await ctx.phase('check', 'which pages are left, and what they read');
  // The cgroup sits at its limit after the pressure phase: any allocation of ours (V8's heap included)
  // would make the kernel reclaim more lazily freed pages while we read them. Release the second
  // region first, so the check sees exactly what the pressure phase left.
  if (more) {
    await ctx.untag('pressure');
    more.unmap();
  }
  checkPages(ctx, main, p.writeBytes);
}

function at(outcome: VariantOutcome, ref: string): number | null {
  return evaluateMetric({ ...outcome, metrics: {} }, ref);
}

function diff(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b;
}

/**
 * Figures taken from the process totals (smaps_rollup) and the cgroup, never from a tagged region, so
 * the replay and its Go counterpart (whose heap is no single mapping) are measured the same way.
 */
function metrics(outcome: VariantOutcome, p: FreeParams): Record<string, number | null> {
  const usageAtPressure = at(outcome, 'cgroup.usage@start:pressure');
  return {
    rssTouchedBytes: diff(at(outcome, 'rss@end:touch'), at(outcome, 'rss@start:touch')),
    rssReturnedAtFreeBytes: diff(at(outcome, 'rss@end:touch'), at(outcome, 'rss@end:free')),
    lazyFreeCancelledByWriteBytes: diff(at(outcome, 'lazyFree@end:free'), at(outcome, 'lazyFree@end:write')),
    // what the pressure phase needs beyond the cgroup's limit, given what was charged when it began
    reclaimNeededBytes: p.pressure && usageAtPressure !== null ? usageAtPressure + pressureBytes(p) - cgroupLimit(p) : null,
    // what the kernel took back from the lazily freed pages to make room (not what an madvise dropped)
    lazyFreeReclaimedBytes: p.pressure ? diff(at(outcome, 'lazyFree@end:write'), at(outcome, 'lazyFree@end:pressure')) : null,
  };
}

function expectations(variant: VariantSpec<FreeParams>, p: FreeParams): Expectation[] {
  const region = p.regionBytes;
  const out: Expectation[] = [
    { id: 'touched', text: 'touching every page makes the whole region resident', left: 'metric.rssTouchedBytes', op: '>=', right: region, factor: 0.95 },
  ];
  if (variant.expectedEnd === 'oom-kill') {
    out.push(
      { id: 'rss-stays', text: 'freed without any advice, RSS does not move', left: 'metric.rssReturnedAtFreeBytes', op: '<=', right: region, factor: 0.05 },
      { id: 'nothing-lazy', text: 'nothing is lazily freed, so nothing is cheap for the kernel to reclaim', left: 'lazyFree@end:free', op: '<=', right: region, factor: 0.05 },
      { id: 'usage-at-limit', text: 'the pressure fills the cgroup to its limit', left: 'metric.cgroupPeakBytes', op: '>=', right: cgroupLimit(p), factor: 0.95 },
      { id: 'oom-killed', text: "with nothing it may reclaim, the kernel's OOM killer ends the process (the seed's users' outage)", left: 'metric.oomKills', op: '>=', right: 1 },
    );
    return out;
  }
  out.push(
    { id: 'written-kept', text: 'pages written after the free keep what was written: a write cancels MADV_FREE', left: 'check.writtenIntactPages@last', op: '>=', right: 'check.writtenPages@last', requires: ['replay'] },
    { id: 'gone-read-zero', text: 'a page the kernel took back reads as zeros', left: 'check.reclaimedSum@last', op: '<=', right: 0, requires: ['replay'] },
  );
  if (p.advice === 'dontneed') {
    out.push(
      { id: 'rss-drops', text: 'MADV_DONTNEED drops RSS at once', left: 'metric.rssReturnedAtFreeBytes', op: '>=', right: region, factor: 0.95 },
      { id: 'no-lazyfree', text: 'nothing is left lazily freed', left: 'lazyFree@end:free', op: '<=', right: region, factor: 0.05 },
    );
    return out;
  }
  out.push(
    { id: 'rss-stays', text: 'after MADV_FREE, RSS stays where it was', left: 'metric.rssReturnedAtFreeBytes', op: '<=', right: region, factor: 0.05 },
    { id: 'lazyfree', text: 'smaps counts the region as LazyFree', left: 'lazyFree@end:free', op: '>=', right: region, factor: 0.9 },
    { id: 'rss-holds', text: 'without memory pressure nothing is reclaimed, however long we wait', left: 'rss@min:hold', op: '>=', right: 'rss@end:touch', factor: 0.95 },
    {
      id: 'write-cancels',
      text: 'writing to lazily freed pages takes them out of LazyFree',
      left: 'metric.lazyFreeCancelledByWriteBytes',
      op: '>=',
      right: p.writeBytes,
      factor: 0.9,
    },
    { id: 'rest-still-lazy', text: 'the pages not written stay lazily freed', left: 'lazyFree@end:write', op: '>=', right: (region - p.writeBytes) * 0.9 },
  );
  if (!p.pressure) {
    out.push({ id: 'kept-without-pressure', text: 'without pressure every lazily freed page keeps its data', left: 'check.keptIntactPages@last', op: '>=', right: (region - p.writeBytes) / features().pageSize, factor: 0.99, requires: ['replay'] });
    return out;
  }
  out.push(
    { id: 'usage-at-limit', text: 'the cgroup is held at its limit while the kernel reclaims', left: 'metric.cgroupPeakBytes', op: '>=', right: cgroupLimit(p), factor: 0.95 },
    {
      id: 'reclaims-what-is-needed',
      text: 'the kernel reclaims lazily freed pages to make room: at least what the allocation asked beyond the limit',
      left: 'metric.lazyFreeReclaimedBytes',
      op: '>=',
      right: 'metric.reclaimNeededBytes',
      factor: 0.8,
    },
    {
      id: 'only-what-is-needed',
      text: 'and not much more: the lazily freed pages it does not need stay resident with their data',
      left: 'metric.lazyFreeReclaimedBytes',
      op: '<=',
      right: 'metric.reclaimNeededBytes',
      factor: 1.3,
    },
    { id: 'no-oom', text: 'lazily freed pages are enough: nobody is OOM-killed', left: 'metric.oomKills', op: '<=', right: 0 },
    { id: 'kept-intact', text: 'lazily freed pages not reclaimed still hold their data', left: 'check.keptIntactPages@last', op: '>=', right: 'check.keptPages@last', requires: ['replay'] },
  );
  return out;
}

export default defineExperiment<FreeParams>({
  id: 'madv-free',
  title: 'MADV_FREE: RSS that does not drop until the kernel needs the memory',
  seed: 'seed 003 (Go 1.12–1.15 and MADV_FREE)',
  summary:
    'The same touched region is returned with MADV_DONTNEED (RSS drops at once) and with MADV_FREE (RSS and LazyFree stay at ' +
    'the region). In a memory cgroup, a second allocation asking a fixed amount beyond the limit makes the kernel reclaim ' +
    'lazily freed pages — about that amount, no more; pages written after the free keep their data, reclaimed ones read back as ' +
    'zeros. Freed but never advised, the same memory cannot be reclaimed: the same pressure ends in the OOM killer.',
  story: [
    { phase: 'map', title: 'Map the region', text: 'An anonymous mapping, small pages only: nothing is resident until it is written (the Go counterpart allocates its heap here).' },
    {
      phase: 'touch',
      title: 'Touch every page',
      text: 'One write per 4 KiB page makes the kernel give the region real memory: RSS grows by the region. This is the Go heap after a burst of work.',
    },
    {
      phase: 'free',
      title: 'Return it: MADV_DONTNEED, MADV_FREE, or not at all',
      text:
        'MADV_DONTNEED unmaps the pages now: RSS drops, the next access gets a fresh zero page. MADV_FREE only marks them as ' +
        'lazily freed: they stay mapped and counted in RSS, smaps shows them as LazyFree, and the kernel may take them whenever it ' +
        'is short of memory. Go 1.12–1.15 used MADV_FREE when its scavenger (or debug.FreeOSMemory) returned heap, so RSS did not ' +
        'move and dashboards showed a leak; GODEBUG=madvdontneed=1 (the default since Go 1.16) switched back to MADV_DONTNEED. ' +
        'The none variant frees without telling the kernel anything — a runtime keeping its free heap for reuse (Go with GOGC=off ' +
        'never scavenges it): the pages are as used as ever to the kernel.',
    },
    {
      phase: 'hold',
      title: 'Wait',
      text: 'With gigabytes free the kernel has no reason to reclaim anything: after MADV_FREE, RSS stays exactly where it was.',
    },
    {
      phase: 'write',
      title: 'Write to part of it again',
      text:
        'A write to a lazily freed page cancels the free for that page: the kernel sees the page dirty and keeps it, with the new ' +
        'data. LazyFree drops by the pages written; RSS does not change. The Go runtime does exactly this when it reuses spans ' +
        'it had returned. After MADV_DONTNEED the same writes fault in fresh pages.',
    },
    {
      phase: 'pressure',
      title: 'Memory pressure: a fixed amount beyond the limit',
      text:
        'The process runs in a memory cgroup whose limit is the region plus some headroom. A second mapping asks for the headroom ' +
        'plus a fixed amount more; once usage reaches the limit the kernel must reclaim — and lazily freed pages are the cheapest ' +
        'thing to reclaim: clean, nothing to write out, simply dropped. It takes about what the allocation needs beyond the limit ' +
        'and leaves the rest in RSS with its data. Pages freed without advice are not reclaimable at all (no swap): the kernel ' +
        "has nothing to take and its OOM killer ends the process — what a container's limit does to a runtime that keeps its heap.",
    },
    {
      phase: 'check',
      title: 'Read what is left',
      text:
        'Pages the kernel reclaimed read back as zeros (MADV_FREE gave it the right to lose their contents); lazily freed pages it ' +
        'did not need still hold their old data; rewritten pages hold what was written.',
    },
  ],
  params: {
    regionBytes: { type: 'bytes', default: 256 * MiB, min: 4096, max: 4096 * MiB, description: 'size of the region' },
    advice: { type: 'string', default: 'free', choices: ['free', 'dontneed', 'none'], description: 'how the region is returned (none: freed without telling the kernel)' },
    holdMs: { type: 'ms', default: 2000, min: 0, description: 'idle time after the free, to show RSS staying put' },
    writeBytes: { type: 'bytes', default: 64 * MiB, min: 0, description: 'bytes at the start of the region written again after the free' },
    pressure: { type: 'boolean', default: false, description: 'a second mapping inside the memory cgroup asks for more than the limit leaves', pressure: true },
    pressureBeyondBytes: { type: 'bytes', default: 96 * MiB, min: 0, description: 'how far beyond the cgroup limit the pressure phase asks (it maps the headroom plus this)' },
    pressureStepBytes: { type: 'bytes', default: 8 * MiB, min: 4096, description: 'the second mapping is touched this much at a time' },
    cgroupHeadroomBytes: { type: 'bytes', default: 144 * MiB, min: 16 * MiB, description: "the pressure variants' cgroup limit is the region plus this" },
  },
  quick: { regionBytes: 64 * MiB, writeBytes: 16 * MiB, holdMs: 500, pressureStepBytes: 4 * MiB, cgroupHeadroomBytes: 64 * MiB, pressureBeyondBytes: 16 * MiB },
  variants: [
    {
      id: 'dontneed',
      label: 'MADV_DONTNEED (GODEBUG=madvdontneed=1, Go ≥ 1.16)',
      description: 'The pages are unmapped at once: RSS drops, and a later write faults in a fresh page.',
      params: { advice: 'dontneed' },
      default: true,
    },
    {
      id: 'free',
      label: 'MADV_FREE (Go 1.12–1.15)',
      description: 'The pages stay mapped and counted in RSS as LazyFree until the kernel needs memory; rewriting some cancels their free.',
      params: { advice: 'free' },
      requires: ['madvFree'],
      default: true,
    },
    {
      id: 'free-pressure',
      label: 'MADV_FREE, then pressure in a memory cgroup',
      description:
        'Inside a memory cgroup, a second allocation asks a fixed amount beyond the limit: the kernel reclaims about that much of the lazily freed pages, and no more.',
      params: { advice: 'free', pressure: true },
      cgroupLimitBytes: cgroupLimit,
      requires: ['madvFree', 'cgroup'],
      default: true,
    },
    {
      id: 'none',
      label: 'freed, never advised, then the same pressure',
      description:
        'The same cgroup and the same pressure, but the freed region was never advised (a runtime keeping its free heap): nothing is reclaimable, and the OOM killer ends the process.',
      params: { advice: 'none', pressure: true },
      cgroupLimitBytes: cgroupLimit,
      expectedEnd: 'oom-kill',
      requires: ['cgroup'],
      default: true,
    },
  ],
  sampling: { intervalMs: 20, memFree: true, pageMaps: { everyMs: 0 } },
  timeoutMs: (p) => p.holdMs + 90_000,
  headline: [
    // the replay's own region (the Go heap is no single mapping, so its real run shows — here)
    { metric: 'region.main.rss@end:touch', label: 'region RSS after touch' },
    { metric: 'region.main.rss@end:free', label: 'region RSS after free' },
    { metric: 'metric.rssTouchedBytes', label: 'RSS touched' },
    { metric: 'metric.rssReturnedAtFreeBytes', label: 'RSS returned at free' },
    { metric: 'lazyFree@end:free', label: 'LazyFree after free' },
    { metric: 'lazyFree@end:write', label: 'LazyFree after rewrite' },
    { metric: 'metric.reclaimNeededBytes', label: 'asked beyond the limit' },
    { metric: 'metric.lazyFreeReclaimedBytes', label: 'LazyFree reclaimed by the kernel' },
    { metric: 'metric.cgroupPeakBytes', label: 'cgroup peak (kernel)' },
    { metric: 'metric.oomKills', label: 'OOM kills' },
    { metric: 'check.reclaimedPages@last', label: 'unwritten pages read as zero' },
  ],
  series: ['region.main.rss', 'region.main.lazyFree', 'region.pressure.rss', 'cgroup.usage', 'memFree'],
  metrics,
  counterparts: [
    {
      id: 'go-heap',
      label: 'a Go 1.19 program returning its heap',
      description:
        'Allocates and touches a Go heap of regionBytes, drops it and calls debug.FreeOSMemory(): the runtime madvises every ' +
        'free span, with MADV_FREE under GODEBUG=madvdontneed=0 (Go 1.12–1.15) and MADV_DONTNEED under =1. It then allocates ' +
        'writeBytes again (the runtime reuses the spans it returned) and, in the pressure variants, maps and touches the same ' +
        'fixed amount as the replay. The none variant runs with GOGC=off and no FreeOSMemory: the heap is collected but never returned.',
      language: 'go',
      sources: ['main.go'],
      args: (p) => [
        `heap=${p.regionBytes}`,
        `write=${p.writeBytes}`,
        `hold-ms=${p.holdMs}`,
        `pressure=${p.pressure ? pressureBytes(p) : 0}`,
        `return=${p.advice === 'none' ? 'none' : 'free-os-memory'}`,
      ],
      variantEnv: (v): Record<string, string> => {
        const advice = v.params?.advice;
        if (advice === 'none') return { GOGC: 'off' };
        return { GODEBUG: advice === 'dontneed' ? 'madvdontneed=1' : 'madvdontneed=0' };
      },
    },
  ],
  // Both make the same madvise calls on the same kernel; they differ by what else is resident (Node's
  // ~45 MiB against Go's ~10 MiB), which shows in what the pressure needs beyond the limit.
  validation: {
    compare: [
      { metric: 'metric.rssTouchedBytes', relative: 0.05 },
      { metric: 'metric.rssReturnedAtFreeBytes', relative: 0.05, absolute: 8 * MiB },
      { metric: 'lazyFree@end:free', relative: 0.05, absolute: 4 * MiB },
      { metric: 'lazyFree@end:write', relative: 0.05, absolute: 4 * MiB },
      { metric: 'metric.lazyFreeReclaimedBytes', relative: 0.3, absolute: 16 * MiB },
      { metric: 'metric.oomKills', absolute: 0 },
    ],
    rankBy: 'metric.rssReturnedAtFreeBytes',
    minRankCorrelation: 0.8,
  },
  expectations,
  body,
});
