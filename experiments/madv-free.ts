// Seed 003 (PHENOMENA.md case 4): Go 1.12–1.15 returned memory with MADV_FREE. The kernel takes such
// pages back only when it is short of memory, so RSS stays high and monitoring sees a leak that is not
// one; MADV_DONTNEED (GODEBUG=madvdontneed=1, the default from Go 1.16) drops RSS at once. Under real
// pressure (a memory cgroup) the kernel reclaims lazily freed pages, only as many as it needs; a write
// to a lazily freed page cancels the free, and a reclaimed page reads back as zeros.
import { defineExperiment, features, mapRegion } from '../src/lab/index.js';
import type { ChildContext, Expectation, Region, VariantSpec } from '../src/lab/index.js';

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
  pressureMaxBytes: number;
  pressureStepBytes: number;
  reclaimTarget: number;
  cgroupHeadroomBytes: number;
};

function cgroupLimit(p: FreeParams): number {
  return p.regionBytes + p.cgroupHeadroomBytes;
}

/** The most the pressure phase will allocate: past this, nothing lazily freed would be left to reclaim. */
function pressureMax(p: FreeParams): number {
  return p.pressureMaxBytes > 0 ? p.pressureMaxBytes : p.cgroupHeadroomBytes + p.regionBytes - p.writeBytes;
}

/**
 * Allocate in steps until the kernel has reclaimed `reclaimTarget` of the lazily freed, unwritten pages
 * (seen with mincore, from inside, without reading any /proc file), or until pressureMax. Stopping there
 * shows that reclaim takes only what the allocation needs, and never risks the OOM killer.
 */
async function applyPressure(ctx: ChildContext<FreeParams>, main: Region, unwrittenOffset: number): Promise<Region> {
  const p = ctx.params;
  const unwrittenPages = (main.length - unwrittenOffset) / features().pageSize;
  const target = Math.ceil(unwrittenPages * p.reclaimTarget);
  const more = mapRegion(pressureMax(p));
  await ctx.tag('pressure', more);
  // Small pages only, so the new region grows by exactly what is touched, whatever the THP mode.
  more.advise('nohugepage');
  let allocated = 0;
  let reclaimed = 0;
  while (allocated < more.length && reclaimed < target) {
    const length = Math.min(p.pressureStepBytes, more.length - allocated);
    more.touch({ offset: allocated, length, value: 0x33 });
    allocated += length;
    reclaimed = unwrittenPages - main.residency({ offset: unwrittenOffset }).residentPages;
    await ctx.sleep(20);
  }
  ctx.report({ 'pressure.allocatedBytes': allocated, 'pressure.reclaimedPages': reclaimed });
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
  const advice = p.advice === 'free' ? 'free' : 'dontneed';

  await ctx.phase('map', `mmap ${p.regionBytes / MiB} MiB`);
  const main = mapRegion(p.regionBytes);
  await ctx.tag('main', main);
  // Small pages: a huge page is lazily freed, re-dirtied and reclaimed as one 2 MiB unit, which would
  // hide the page-by-page behaviour this experiment is about (and THP "always" would give us one).
  main.advise('nohugepage');

  await ctx.phase('touch', 'write one byte in every page');
  main.touch({ value: TOUCH_VALUE });

  await ctx.phase('free', advice === 'free' ? 'MADV_FREE the whole region' : 'MADV_DONTNEED the whole region');
  main.advise(advice);

  await ctx.phase('hold', `nothing happens for ${p.holdMs} ms`);
  await ctx.sleep(p.holdMs);

  await ctx.phase('write', `write again to the first ${p.writeBytes / MiB} MiB`);
  main.touch({ length: p.writeBytes, value: WRITE_VALUE });

  let more: Region | null = null;
  if (p.pressure) {
    await ctx.phase('pressure', 'allocate more inside the memory cgroup until the kernel reclaims');
    more = await applyPressure(ctx, main, p.writeBytes);
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

function expectations(_variant: VariantSpec<FreeParams>, p: FreeParams): Expectation[] {
  const region = p.regionBytes;
  const out: Expectation[] = [
    { id: 'touched', text: 'touching every page makes the whole region resident', left: 'region.main.rss@end:touch', op: '>=', right: region, factor: 0.95 },
    {
      id: 'written-kept',
      text: 'pages written after the free keep what was written: a write cancels MADV_FREE',
      left: 'check.writtenIntactPages@last',
      op: '>=',
      right: 'check.writtenPages@last',
    },
    { id: 'gone-read-zero', text: 'a page the kernel took back reads as zeros', left: 'check.reclaimedSum@last', op: '<=', right: 0 },
  ];
  if (p.advice === 'dontneed') {
    out.push(
      { id: 'rss-drops', text: 'MADV_DONTNEED drops RSS at once', left: 'region.main.rss@end:free', op: '<=', right: region, factor: 0.05 },
      { id: 'no-lazyfree', text: 'nothing is left lazily freed', left: 'region.main.lazyFree@end:free', op: '<=', right: region, factor: 0.05 },
    );
    return out;
  }
  out.push(
    { id: 'rss-stays', text: 'after MADV_FREE, RSS stays where it was', left: 'region.main.rss@end:free', op: '>=', right: region, factor: 0.9 },
    { id: 'lazyfree', text: 'smaps counts the region as LazyFree', left: 'region.main.lazyFree@end:free', op: '>=', right: region, factor: 0.9 },
    { id: 'rss-holds', text: 'without memory pressure nothing is reclaimed, however long we wait', left: 'region.main.rss@min:hold', op: '>=', right: region, factor: 0.9 },
    {
      id: 'write-cancels',
      text: 'writing to lazily freed pages takes them out of LazyFree',
      left: 'region.main.lazyFree@end:write',
      op: '<=',
      right: region - p.writeBytes + 0.05 * region,
    },
    {
      id: 'rest-still-lazy',
      text: 'the pages not written stay lazily freed',
      left: 'region.main.lazyFree@end:write',
      op: '>=',
      right: (region - p.writeBytes) * 0.9,
    },
  );
  if (!p.pressure) {
    out.push({ id: 'kept-without-pressure', text: 'without pressure every lazily freed page keeps its data', left: 'check.keptIntactPages@last', op: '>=', right: (region - p.writeBytes) / features().pageSize, factor: 0.99 });
    return out;
  }
  out.push(
    { id: 'some-reclaimed', text: 'under pressure the kernel reclaims lazily freed pages', left: 'region.main.rss@end:pressure', op: '<=', right: region, factor: 0.95 },
    {
      id: 'lazyfree-falls',
      text: 'LazyFree falls as the kernel takes those pages',
      left: 'region.main.lazyFree@end:pressure',
      op: '<',
      right: 'region.main.lazyFree@end:write',
      factor: 0.95,
    },
    {
      id: 'only-what-is-needed',
      text: 'reclaim takes only what the new allocation needs: part of the region stays resident',
      left: 'region.main.rss@end:pressure',
      op: '>=',
      right: p.writeBytes + 0.1 * (region - p.writeBytes),
    },
    {
      id: 'usage-at-limit',
      text: 'the cgroup is held at its limit while the kernel reclaims',
      left: 'cgroup.usage@max:pressure',
      op: '>=',
      right: cgroupLimit(p),
      factor: 0.9,
    },
    { id: 'reclaimed-count', text: 'some unwritten pages are gone from the region', left: 'check.reclaimedPages@last', op: '>=', right: 1 },
    { id: 'kept-intact', text: 'lazily freed pages not reclaimed still hold their data', left: 'check.keptIntactPages@last', op: '>=', right: 'check.keptPages@last' },
  );
  return out;
}

export default defineExperiment<FreeParams>({
  id: 'madv-free',
  title: 'MADV_FREE: RSS that does not drop until the kernel needs the memory',
  seed: 'seed 003 (Go 1.12–1.15 and MADV_FREE)',
  summary:
    'The same touched region is returned with MADV_DONTNEED (RSS drops at once) and with MADV_FREE (RSS and LazyFree stay at ' +
    'the region). In a memory cgroup, allocating more makes the kernel reclaim the lazily freed pages, only as many as it ' +
    'needs; pages written after the free keep their data, reclaimed ones read back as zeros.',
  story: [
    { phase: 'map', title: 'Map the region', text: 'An anonymous mapping, small pages only: nothing is resident until it is written.' },
    {
      phase: 'touch',
      title: 'Touch every page',
      text: 'One write per 4 KiB page makes the kernel give the region real memory: RSS grows by the region. This is the Go heap after a burst of work.',
    },
    {
      phase: 'free',
      title: 'Return it: MADV_DONTNEED or MADV_FREE',
      text:
        'MADV_DONTNEED unmaps the pages now: RSS drops, the next access gets a fresh zero page. MADV_FREE only marks them as ' +
        'lazily freed: they stay mapped and counted in RSS, smaps shows them as LazyFree, and the kernel may take them whenever it ' +
        'is short of memory. Go 1.12–1.15 used MADV_FREE, so RSS did not move and dashboards showed a leak; GODEBUG=madvdontneed=1 ' +
        '(the default since Go 1.16) switched back to MADV_DONTNEED for that reason.',
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
        'data. LazyFree drops by the pages written; RSS does not change. After MADV_DONTNEED the same writes fault in fresh pages.',
    },
    {
      phase: 'pressure',
      title: 'Memory pressure: the kernel takes lazily freed pages back',
      text:
        'The process runs in a memory cgroup whose limit leaves little room. A second allocation fills the room; once usage reaches ' +
        'the limit the kernel reclaims — and lazily freed pages are the cheapest thing to reclaim: they are clean, nothing needs ' +
        'writing out, they are simply dropped. It takes only what the allocation needs; the rest stays in RSS with its data. ' +
        'The written pages are dirty again and are not touched.',
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
    advice: { type: 'string', default: 'free', choices: ['free', 'dontneed'], description: 'how the region is returned' },
    holdMs: { type: 'ms', default: 2000, min: 0, description: 'idle time after the free, to show RSS staying put' },
    writeBytes: { type: 'bytes', default: 64 * MiB, min: 0, description: 'bytes at the start of the region written again after the free' },
    pressure: { type: 'boolean', default: false, description: 'allocate a second region inside the memory cgroup until the kernel reclaims' },
    pressureMaxBytes: { type: 'bytes', default: 0, min: 0, description: 'most the pressure phase allocates; 0: the headroom plus the unwritten part of the region' },
    pressureStepBytes: { type: 'bytes', default: 8 * MiB, min: 4096, description: 'the second region is touched this much at a time' },
    reclaimTarget: { type: 'number', default: 0.5, min: 0.01, max: 1, description: 'stop allocating once this fraction of the unwritten lazily freed pages was reclaimed' },
    cgroupHeadroomBytes: { type: 'bytes', default: 144 * MiB, min: 16 * MiB, description: 'the pressure variant\'s cgroup limit is the region plus this' },
  },
  quick: { regionBytes: 64 * MiB, writeBytes: 16 * MiB, holdMs: 500, pressureStepBytes: 4 * MiB },
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
        'Inside a memory cgroup with little room, a second allocation makes the kernel reclaim lazily freed pages — only as many as it needs.',
      params: { advice: 'free', pressure: true },
      cgroupLimitBytes: cgroupLimit,
      requires: ['madvFree', 'cgroup'],
      default: true,
    },
  ],
  sampling: { intervalMs: 20, memFree: true, pageMaps: { everyMs: 0 } },
  timeoutMs: (p) => p.holdMs + 90_000,
  headline: [
    { metric: 'region.main.rss@end:touch', label: 'region RSS after touch' },
    { metric: 'region.main.rss@end:free', label: 'region RSS after free' },
    { metric: 'region.main.lazyFree@end:free', label: 'region LazyFree after free' },
    { metric: 'region.main.lazyFree@end:write', label: 'region LazyFree after rewrite' },
    { metric: 'region.main.rss@end:pressure', label: 'region RSS after pressure' },
    { metric: 'cgroup.usage@max:pressure', label: 'cgroup usage under pressure' },
    { metric: 'check.reclaimedPages@last', label: 'pages reclaimed' },
  ],
  series: ['region.main.rss', 'region.main.lazyFree', 'region.pressure.rss', 'cgroup.usage', 'memFree'],
  expectations,
  body,
});
