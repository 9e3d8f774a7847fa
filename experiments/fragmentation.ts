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
  /** survivors come in runs of this many neighbours (one run per keepEvery × cluster blocks) */
  cluster: number;
  /**
   * 0: the short-lived blocks are all freed after the burst (the extreme). Otherwise they are freed the
   * way a GC frees garbage: whenever the garbage since the last collection reaches this percentage of
   * the survivors (at least 4 MiB, Go's smallest heap goal), so later blocks reuse the freed room — GOGC.
   */
  gcPercent: number;
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
export function pinnedPageFraction(p: Pick<FragmentationParams, 'keepEvery' | 'minBlockBytes' | 'maxBlockBytes'> & { cluster?: number }): number {
  // a run of `cluster` neighbours pins about as many pages as one survivor does: count runs per page
  const blocksPerPage = PAGE_BYTES / ((p.minBlockBytes + p.maxBlockBytes) / 2 + 16) / (p.cluster ?? 1);
  return 1 - Math.pow(1 - 1 / p.keepEvery, Math.max(1, blocksPerPage));
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
      // allocated ~ Go's HeapAlloc; active − allocated: free slots inside slabs that hold a survivor
      // (fragmentation and size-class rounding, Go's HeapInuse − HeapAlloc); dirty+muzzy: whole free
      // pages jemalloc keeps resident until decay or a purge (Go's HeapIdle − HeapReleased); retained:
      // purged, mapped but not resident (Go's HeapReleased). The Go counterpart reports the same names.
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
interface Shape {
  cluster?: number;
  gcPercent?: number;
  pool?: boolean;
  isDefault?: boolean;
}
function variant(allocator: Allocator, keepEvery: number, shape: Shape = {}): VariantSpec<FragmentationParams> {
  const { cluster = 1, gcPercent = 0, pool = false, isDefault = false } = shape;
  const id = `${allocator}-k${keepEvery}${cluster > 1 ? `-c${cluster}` : ''}${gcPercent > 0 ? `-gc${gcPercent}` : ''}${pool ? '-pool' : ''}`;
  const who = allocator === 'glibc' ? 'glibc malloc' : 'jemalloc';
  const pinned = Math.round(100 * pinnedPageFraction({ keepEvery, cluster, minBlockBytes: 64, maxBlockBytes: 256 }));
  const how = pool
    ? `The fix: the same 1-in-${keepEvery} survivors, allocated from their own pool before the burst, so they share pages only with each other.`
    : gcPercent > 0
      ? `One block in ${keepEvery} outlives the burst; the others are freed as a collector with GOGC=${gcPercent} would free them — whenever the garbage reaches ${gcPercent}% of the survivors — so later blocks, survivors included, reuse the freed room and pack the survivors closer.`
      : cluster > 1
        ? `One block in ${keepEvery} outlives the burst, in runs of ${cluster} neighbours (related records that live together): ~${pinned}% of the pages hold one.`
        : `One block in ${keepEvery} outlives the burst, scattered among the short-lived ones: ~${pinned}% of the pages hold one.`;
  return {
    id,
    label: `${who}, keep 1 in ${keepEvery}${cluster > 1 ? ` in runs of ${cluster}` : ''}${gcPercent > 0 ? `, freed like GOGC=${gcPercent}` : ''}${pool ? ', survivors pooled' : ''}`,
    description: how,
    ...(allocator === 'jemalloc' ? { allocator: 'jemalloc' as const, requires: ['jemalloc' as const] } : {}),
    // gc() drops the burst's bookkeeping array (16 bytes per block) once the burst is freed
    nodeArgs: ['--expose-gc'],
    params: { keepEvery, pool, cluster, gcPercent },
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
      text: 'Many small short-lived blocks (request buffers, parsed messages), one in K of them long-lived (a cache entry, a peer record) and placed wherever the allocator had room — right among the short-lived ones. In runs (cluster > 1) related survivors sit side by side and pin fewer pages: glibc\'s first fit keeps neighbours in time next to each other, while Go\'s allocator keeps every size class in spans of its own and scatters them anyway. With gcPercent the short-lived blocks are freed the way a collector frees garbage — whenever it reaches GOGC% of the live heap — and the burst refills that room: RSS grows far less than the burst, and the garbage not yet collected is the seed\'s "allocation velocity" layer (GOGC=10 keeps less of it, at more collections).',
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
    cluster: { type: 'int', default: 1, min: 1, max: 4096, description: 'survivors come in runs of this many neighbours' },
    gcPercent: { type: 'int', default: 0, min: 0, max: 10_000, description: 'free the short-lived blocks like a GC with this GOGC (0: all after the burst)' },
    pool: { type: 'boolean', default: false, description: 'allocate the survivors from their own pool, before the burst' },
    settleMs: { type: 'ms', default: 300, min: 0, max: 60_000, description: 'pause after freeing (GC of the bookkeeping, allocator settles)' },
  },
  quick: { burstBytes: 64 * MiB },
  variants: [
    variant('glibc', 1000),
    variant('glibc', 100, { isDefault: true }),
    variant('glibc', 10, { isDefault: true }),
    variant('glibc', 10, { cluster: 16, isDefault: true }),
    variant('glibc', 10, { gcPercent: 100, isDefault: true }),
    variant('glibc', 10, { pool: true, isDefault: true }),
    variant('jemalloc', 1000),
    variant('jemalloc', 100, { isDefault: true }),
    variant('jemalloc', 10, { isDefault: true }),
    variant('jemalloc', 10, { cluster: 16 }),
    variant('jemalloc', 10, { gcPercent: 100 }),
    variant('jemalloc', 10, { pool: true, isDefault: true }),
  ],
  sampling: { intervalMs: 20 },
  timeoutMs: (p) => 60_000 + Math.ceil(p.burstBytes / MiB) * 200,
  headline: [
    { metric: 'live@end:purged', label: 'live' },
    { metric: 'rss@end:burst', label: 'RSS burst' },
    { metric: 'rss@end:freed', label: 'RSS freed' },
    { metric: 'rss@end:purged', label: 'RSS purged' },
    { metric: 'layer.free@end:freed', label: 'free in used pages (active−allocated; HeapInuse−HeapAlloc)' },
    { metric: 'layer.dirty@end:freed', label: 'kept free pages (dirty; HeapIdle−HeapReleased)' },
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
  counterparts: [
    {
      id: 'go-requests',
      label: 'a Go 1.19 server burst',
      description:
        'Requests allocate small []byte objects (64..256 B), keep one in K (in runs of the cluster size) and drop the rest; the ' +
        'runtime collects them as GOGC says, then runtime.GC() and debug.FreeOSMemory(). GOGC=off stands for the replay\'s ' +
        '"freed after the burst", GOGC=<n> for gcPercent; the pool variant copies survivors into 1 MiB slabs of their own. ' +
        'It reports its heap as layer.* beside the names the replay gives jemalloc\'s figures. Go has its own allocator, so ' +
        'only the glibc variants have a Go run.',
      language: 'go',
      sources: ['main.go'],
      args: (p) => [
        `burst=${p.burstBytes}`,
        `min-block=${p.minBlockBytes}`,
        `max-block=${p.maxBlockBytes}`,
        `keep-every=${p.keepEvery}`,
        `cluster=${p.cluster}`,
        `pool=${p.pool}`,
      ],
      variantEnv: (v): Record<string, string> | null => {
        if (v.allocator === 'jemalloc') return null;
        // Go keeps every size class in spans of its own: neighbours in time of different sizes land on
        // different spans, so a run of related survivors does not share pages as it does in glibc's
        // first fit (measured: held/live 11.3 with runs of 16, as without runs; glibc 2.9)
        if ((v.params?.cluster ?? 1) > 1) return null;
        const percent = v.params?.gcPercent ?? 0;
        return { GOGC: percent > 0 ? String(percent) : 'off' };
      },
    },
  ],
  // Go's size classes keep each object size in spans of its own, so its survivors pin differently from
  // glibc's first fit: the ratios agree in kind (far above 1 without the pool, near 1 with it), not to
  // the byte.
  validation: {
    compare: [{ metric: 'metric.heldOverLive', relative: 0.6, absolute: 1 }],
    rankBy: 'metric.heldOverLive',
    minRankCorrelation: 0.5,
  },
  expectations: (_v, p) => {
    const out: Expectation[] =
      p.gcPercent > 0
        ? [
            {
              id: 'collector-reuses',
              text: 'freed as a collector frees garbage, the burst reuses its own room: RSS grows by well under the burst',
              left: 'metric.burstGrowthBytes',
              op: '<=',
              right: p.burstBytes,
              factor: 0.6,
            },
            {
              id: 'still-pinned',
              text: 'the survivors still hold pages with free room around them: RSS stays above 1.5× the live bytes (seed 002: 3.6×)',
              left: 'metric.heldAfterPurgeBytes',
              op: '>=',
              right: 'metric.liveBytes',
              factor: 1.5,
            },
          ]
        : [
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
    } else if (p.gcPercent === 0 && pinned >= 0.1) {
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
    const { burstBytes, minBlockBytes, maxBlockBytes, keepEvery, cluster, gcPercent, pool, settleMs } = ctx.params;
    if (minBlockBytes > maxBlockBytes) throw new RangeError(`minBlockBytes (${minBlockBytes}) must be <= maxBlockBytes (${maxBlockBytes})`);
    const gc = (globalThis as { gc?: () => void }).gc;
    const blocks = Math.max(keepEvery * cluster, Math.round(burstBytes / ((minBlockBytes + maxBlockBytes) / 2)));
    const groups = Math.floor(blocks / (keepEvery * cluster));
    const sizes = { minSize: minBlockBytes, maxSize: maxBlockBytes };

    await ctx.phase('baseline', 'a fresh process');
    ctx.report(layers(0));
    ctx.reportAllocator();

    const survivors = new BlockSet();
    let burst: BlockSet | null = new BlockSet();
    let collected = 0;
    let collections = 0;
    await ctx.phase('burst', pool ? `burst, 1 in ${keepEvery} pooled apart` : `burst, 1 in ${keepEvery} kept among the rest${cluster > 1 ? `, in runs of ${cluster}` : ''}`);
    if (pool) {
      survivors.allocate({ count: groups * cluster, ...sizes, seed: 2 });
      burst.allocate({ count: blocks - groups * cluster, ...sizes, seed: 1 });
    } else {
      // Interleaved in time, as in a server: short-lived blocks, then a run of `cluster` that stay.
      for (let g = 0; g < groups; g++) {
        burst.allocate({ count: (keepEvery - 1) * cluster, ...sizes, seed: 2 * g + 1 });
        survivors.allocate({ count: cluster, ...sizes, seed: 2 * g + 2 });
        // A collector frees the garbage once it reaches its share of the live heap; later blocks reuse the room.
        if (gcPercent > 0 && burst.liveBytes >= Math.max(4 * MiB, (survivors.liveBytes * gcPercent) / 100)) {
          collected += burst.liveBytes;
          collections += 1;
          burst.freeAll();
          burst = new BlockSet();
        }
      }
    }
    ctx.report({ 'burst.collectedBytes': collected, 'burst.collections': collections });
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
