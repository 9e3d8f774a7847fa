// Seed 002 (go-ipfs: pprof says 76 MB, ps says 256 MB): a burst of many short-lived small objects
// with one long-lived object in every K. The survivors pin the pages they land on, so after the burst
// is freed — and even after the allocator has returned everything it can — RSS stays far above the
// live bytes. RSS is accounted into the allocator's own layers (the seed's HeapAlloc / HeapInuse −
// HeapAlloc / HeapIdle − HeapReleased / HeapReleased), and the seed's advice is replayed on the same
// workload: long-lived objects in their own pool share pages only with each other.
import { allocatorStats, BlockSet, defineExperiment, evaluateMetric, purgeAllocator, type Expectation, type VariantOutcome, type VariantSpec } from '../src/lab/index.js';

type FragmentationParams = {
  /** bytes of short-lived blocks in the burst (survivors included) */
  burstBytes: number;
  minBlockBytes: number;
  maxBlockBytes: number;
  /** one block in every keepEvery outlives the burst */
  keepEvery: number;
  /** the fix: the long-lived blocks come from their own pool, allocated apart from the burst */
  pool: boolean;
  /** after freeing: time for the GC to drop the burst's bookkeeping and for the allocator to settle */
  settleMs: number;
};

const MiB = 1024 * 1024;
const PAGE_BYTES = 4096;

/**
 * The share of pages that hold at least one survivor when survivors are scattered one in K
 * (blocks of the mean size plus a 16-byte malloc header): 1 − (1 − 1/K)^(blocks per page).
 * What no allocator can give back, whatever it does.
 */
export function pinnedPageFraction(p: Pick<FragmentationParams, 'keepEvery' | 'minBlockBytes' | 'maxBlockBytes'>): number {
  const blocksPerPage = PAGE_BYTES / ((p.minBlockBytes + p.maxBlockBytes) / 2 + 16);
  return 1 - Math.pow(1 - 1 / p.keepEvery, blocksPerPage);
}

/** RSS in the allocator's own terms. Names are the same for every allocator; null where it has no such figure. */
function layers(liveBytes: number): Record<string, number | null> {
  const s = allocatorStats();
  const base: Record<string, number | null> = {
    live: liveBytes,
    'layer.live': s.allocated,
    'layer.free': null,
    'layer.dirty': null,
    'layer.released': null,
    'layer.metadata': s.metadata,
  };
  switch (s.allocator) {
    case 'jemalloc':
      // active − allocated: free slots inside slabs that hold a survivor (fragmentation and size-class
      // rounding, the seed's HeapInuse − HeapAlloc); dirty+muzzy: whole free pages jemalloc keeps resident
      // until decay or a purge (HeapIdle − HeapReleased); retained: purged, mapped but not resident (HeapReleased).
      base['layer.free'] = s.active !== null && s.allocated !== null ? s.active - s.allocated : null;
      base['layer.dirty'] = s.free;
      base['layer.released'] = s.retained;
      break;
    case 'glibc':
      // glibc only knows its free chunks (fordblks), resident or already trimmed: it cannot tell them apart.
      base['layer.free'] = s.free;
      break;
    case 'tcmalloc':
      base['layer.free'] = s.free;
      base['layer.released'] = s.retained;
      break;
    default:
      break;
  }
  return base;
}

function at(outcome: VariantOutcome, ref: string): number | null {
  return evaluateMetric({ ...outcome, metrics: {} }, ref);
}

function diff(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b;
}

type Allocator = 'glibc' | 'jemalloc';
function variant(allocator: Allocator, keepEvery: number, pool: boolean, isDefault: boolean): VariantSpec<FragmentationParams> {
  const id = `${allocator}-k${keepEvery}${pool ? '-pool' : ''}`;
  const who = allocator === 'glibc' ? 'glibc malloc' : 'jemalloc';
  return {
    id,
    label: `${who}, keep 1 in ${keepEvery}${pool ? ', survivors pooled' : ''}`,
    description: pool
      ? `The fix: the same 1-in-${keepEvery} survivors, allocated from their own pool before the burst, so they share pages only with each other.`
      : `One block in ${keepEvery} outlives the burst, scattered among the short-lived ones: ~${Math.round(100 * pinnedPageFraction({ keepEvery, minBlockBytes: 64, maxBlockBytes: 256 }))}% of the pages hold one.`,
    ...(allocator === 'jemalloc' ? { allocator: 'jemalloc' as const, requires: ['jemalloc' as const] } : {}),
    // gc() drops the burst's bookkeeping array (16 bytes per block) once the burst is freed
    nodeArgs: ['--expose-gc'],
    params: { keepEvery, pool },
    default: isDefault,
  };
}

export default defineExperiment<FragmentationParams>({
  id: 'fragmentation',
  title: 'A few long-lived objects pin the pages of a burst of short-lived ones',
  seed: 'seed 002 (go-ipfs: pprof 76 MB, ps 256 MB)',
  summary:
    'Allocates a burst of small blocks (64..256 B) with one long-lived block in every K, frees the rest and asks the ' +
    'allocator to return everything it can. RSS stays near the burst size because the survivors sit on most pages; ' +
    "the allocator's own statistics split it into live, free-inside-used-pages, dirty and released layers. " +
    'Pooling the survivors apart (allocated together, before the burst) lets RSS fall to near the live bytes.',
  story: [
    { phase: 'baseline', title: 'A fresh process', text: 'The allocator holds only Node\'s own memory.' },
    {
      phase: 'burst',
      title: 'The burst',
      text: 'Many small short-lived blocks (request buffers, parsed messages), one in K of them long-lived (a cache entry, a peer record) and placed wherever the allocator had room — right among the short-lived ones.',
    },
    {
      phase: 'freed',
      title: 'The short-lived blocks are freed',
      text: 'Only 1/K of the bytes is live, but RSS barely moves: glibc returns only the top of its heap on free(), jemalloc keeps freed pages dirty until they decay. The layers show where RSS went: free slots inside used pages (fragmentation), whole free pages the allocator keeps (dirty).',
    },
    {
      phase: 'purged',
      title: 'The allocator returns what it can',
      text: 'malloc_trim(0) (glibc) or an arena purge (jemalloc) returns every free page. What stays is pinned: a page with one live survivor cannot go back, so RSS stays near (pinned pages × 4 KiB), not the live bytes. With the survivors pooled, nothing is pinned and RSS falls to near the live bytes.',
    },
  ],
  params: {
    burstBytes: { type: 'bytes', default: 256 * MiB, min: 1 * MiB, max: 8192 * MiB, description: 'bytes of small blocks allocated in the burst' },
    minBlockBytes: { type: 'bytes', default: 64, min: 16, max: 4096, description: 'smallest block' },
    maxBlockBytes: { type: 'bytes', default: 256, min: 16, max: 4096, description: 'largest block' },
    keepEvery: { type: 'int', default: 100, min: 2, max: 1_000_000, description: 'one block in every keepEvery outlives the burst (K)' },
    pool: { type: 'boolean', default: false, description: 'allocate the survivors from their own pool, before the burst' },
    settleMs: { type: 'ms', default: 300, min: 0, max: 60_000, description: 'pause after freeing (GC of the bookkeeping, allocator settles)' },
  },
  quick: { burstBytes: 64 * MiB },
  variants: [
    variant('glibc', 1000, false, false),
    variant('glibc', 100, false, true),
    variant('glibc', 10, false, true),
    variant('glibc', 10, true, true),
    variant('jemalloc', 1000, false, false),
    variant('jemalloc', 100, false, true),
    variant('jemalloc', 10, false, true),
    variant('jemalloc', 10, true, true),
  ],
  sampling: { intervalMs: 20 },
  timeoutMs: (p) => 60_000 + Math.ceil(p.burstBytes / MiB) * 200,
  headline: [
    { metric: 'live@end:purged', label: 'live' },
    { metric: 'rss@end:burst', label: 'RSS burst' },
    { metric: 'rss@end:freed', label: 'RSS freed' },
    { metric: 'rss@end:purged', label: 'RSS purged' },
    { metric: 'layer.free@end:freed', label: 'allocator-held free' },
    { metric: 'layer.dirty@end:freed', label: 'dirty' },
    { metric: 'metric.heldOverLive', label: 'held / live' },
  ],
  series: ['live', 'layer.live', 'layer.free', 'layer.dirty', 'layer.released'],
  metrics: (outcome) => {
    const baseline = at(outcome, 'rss@end:baseline');
    const live = at(outcome, 'live@end:purged');
    const heldAfterPurge = diff(at(outcome, 'rss@end:purged'), baseline);
    return {
      liveBytes: live,
      burstGrowthBytes: diff(at(outcome, 'rss@end:burst'), baseline),
      heldAfterFreeBytes: diff(at(outcome, 'rss@end:freed'), baseline),
      heldAfterPurgeBytes: heldAfterPurge,
      // what the survivors keep resident beyond their own bytes
      pinnedBytes: diff(heldAfterPurge, live),
      heldOverLive: heldAfterPurge !== null && live !== null && live > 0 ? heldAfterPurge / live : null,
    };
  },
  expectations: (_v, p) => {
    const out: Expectation[] = [
      {
        id: 'burst-resident',
        text: 'the burst is resident: every block is written',
        left: 'metric.burstGrowthBytes',
        op: '>=',
        right: p.burstBytes,
        factor: 0.8,
      },
    ];
    const pinned = pinnedPageFraction(p);
    if (p.pool) {
      out.push({
        id: 'pool-returns',
        text: 'with the survivors pooled apart, RSS falls to near the live bytes once the allocator has returned its free pages',
        left: 'metric.heldAfterPurgeBytes',
        op: '<=',
        right: 'metric.liveBytes',
        factor: 2,
      });
    } else if (pinned >= 0.1) {
      // Half the pinned share is a wide margin: a page pinned by a survivor can never be returned.
      out.push(
        {
          id: 'pinned-after-free',
          text: 'after the short-lived blocks are freed RSS stays far above the live bytes',
          left: 'metric.heldAfterFreeBytes',
          op: '>=',
          right: 'metric.liveBytes',
          factor: 3,
        },
        {
          id: 'pinned-after-purge',
          text: `even after the allocator returned every free page, the pages holding a survivor (~${Math.round(pinned * 100)}% of them) stay resident`,
          left: 'metric.heldAfterPurgeBytes',
          op: '>=',
          right: p.burstBytes,
          factor: Number((pinned / 2).toFixed(3)),
        },
      );
    }
    return out;
  },
  body: async (ctx) => {
    const { burstBytes, minBlockBytes, maxBlockBytes, keepEvery, pool, settleMs } = ctx.params;
    if (minBlockBytes > maxBlockBytes) throw new RangeError(`minBlockBytes (${minBlockBytes}) must be <= maxBlockBytes (${maxBlockBytes})`);
    const gc = (globalThis as { gc?: () => void }).gc;
    const blocks = Math.max(keepEvery, Math.round(burstBytes / ((minBlockBytes + maxBlockBytes) / 2)));
    const groups = Math.floor(blocks / keepEvery);
    const sizes = { minSize: minBlockBytes, maxSize: maxBlockBytes };

    await ctx.phase('baseline', 'a fresh process');
    ctx.report(layers(0));
    ctx.reportAllocator();

    const survivors = new BlockSet();
    let burst: BlockSet | null = new BlockSet();
    await ctx.phase('burst', pool ? `burst, 1 in ${keepEvery} pooled apart` : `burst, 1 in ${keepEvery} kept among the rest`);
    if (pool) {
      survivors.allocate({ count: groups, ...sizes, seed: 2 });
      burst.allocate({ count: blocks - groups, ...sizes, seed: 1 });
    } else {
      // Interleaved in time, as in a server: K − 1 short-lived blocks, then one that stays.
      for (let g = 0; g < groups; g++) {
        burst.allocate({ count: keepEvery - 1, ...sizes, seed: 2 * g + 1 });
        survivors.allocate({ count: 1, ...sizes, seed: 2 * g + 2 });
      }
    }
    ctx.report({ ...layers(survivors.liveBytes + burst.liveBytes), survivors: survivors.liveCount, blocks: survivors.liveCount + burst.liveCount });
    ctx.reportAllocator();

    await ctx.phase('freed', 'short-lived blocks freed');
    burst.freeAll();
    burst = null;
    // The burst set's own index (16 bytes per block) is freed when the set is collected.
    gc?.();
    await ctx.sleep(settleMs);
    ctx.report(layers(survivors.liveBytes));
    ctx.reportAllocator();

    await ctx.phase('purged', 'the allocator returns every free page');
    purgeAllocator();
    ctx.report(layers(survivors.liveBytes));
    ctx.reportAllocator();
    // survivors stay live to the end: the final sample (at the end mark) is taken with them in place
  },
});
