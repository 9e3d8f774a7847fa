// Seed 000 (faiss train/free cycles under cgo): a cron-like service that, every cycle, loads training
// data, trains a new index, frees the data and the old index, and idles until the next cycle. Every
// byte is freed except the new index, yet RSS stays far above it: free() hands memory to malloc's
// free lists, spread over one arena per thread, and glibc's dynamic mmap threshold sends the next
// cycle's large buffers into the arenas too. Replayed for each allocator and its knobs, with the work
// on fresh native threads (the seed's cron goroutine → a new OS thread for cgo) or on one long-lived thread.
import {
  BlockSet,
  defineExperiment,
  detectAllocator,
  evaluateMetric,
  mallocInfo,
  mallocTrim,
  runOnThreads,
  NativeThread,
  type Expectation,
  type VariantOutcome,
  type VariantSpec,
} from '../src/lab/index.js';

type Shape = 'same-thread' | 'fresh-thread';

type FaissParams = {
  cycles: number;
  /** training vectors per cycle, bytes (blocks of vectorMinBytes..vectorMaxBytes) */
  trainBytes: number;
  vectorMinBytes: number;
  vectorMaxBytes: number;
  /** large batch buffers per cycle (256 KiB..1 MiB): above glibc's initial mmap threshold */
  batchBytes: number;
  /** the new index, as a share of trainBytes, allocated interleaved with training temporaries */
  indexFraction: number;
  /** 'fresh-thread': each step on new native threads (cgo from a new goroutine); 'same-thread': one long-lived native thread */
  shape: string;
  /** native threads per step in the fresh-thread shape */
  threads: number;
  /** malloc_trim(0) after each cycle's frees (glibc) */
  trimEachCycle: boolean;
  idleBetweenMs: number;
  /** after the last cycle: time for time-based purging (jemalloc decay, background threads) */
  finalIdleMs: number;
};

const KiB = 1024;
const MiB = 1024 * KiB;
const SCRATCH_FRACTION = 0.25;
const TRAIN_ROUNDS = 8;

function at(outcome: VariantOutcome, ref: string): number | null {
  return evaluateMetric({ ...outcome, metrics: {} }, ref);
}
function diff(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b;
}

/** How each allocator configuration is expected to behave after the cycles (the expectations). */
type Outcome = 'keeps' | 'keeps-while-idle' | 'returns-at-once' | 'returns-when-idle' | 'measured';

interface AllocatorConfig {
  key: string;
  label: string;
  description: string;
  spec: Pick<VariantSpec<FaissParams>, 'allocator' | 'env' | 'requires'> & { params?: Partial<FaissParams> };
  outcome: Outcome;
  /** in the default set (fresh-thread shape only) */
  default: boolean;
}

const CONFIGS: AllocatorConfig[] = [
  {
    key: 'glibc',
    label: 'glibc',
    description: "glibc malloc as shipped: freed chunks stay in each thread's arena; only the top of a heap is returned.",
    spec: {},
    outcome: 'keeps',
    default: true,
  },
  {
    key: 'glibc-trim',
    label: 'glibc + malloc_trim(0)',
    description: 'glibc with malloc_trim(0) after each cycle: every whole free page of every arena goes back (MADV_DONTNEED).',
    spec: { params: { trimEachCycle: true } },
    outcome: 'returns-at-once',
    default: true,
  },
  {
    key: 'glibc-arena2',
    label: 'glibc, MALLOC_ARENA_MAX=2',
    description: 'At most 2 arenas: threads share them, so free memory is reused across threads instead of parked per arena.',
    spec: { env: { MALLOC_ARENA_MAX: '2' } },
    outcome: 'measured',
    default: false,
  },
  {
    key: 'glibc-mmap128k',
    label: 'glibc, fixed M_MMAP_THRESHOLD=128 KiB',
    description:
      'MALLOC_MMAP_THRESHOLD_=131072 turns off the dynamic threshold: batch buffers are always mmap\'d and munmap\'d, never kept in an arena.',
    spec: { env: { MALLOC_MMAP_THRESHOLD_: '131072' } },
    outcome: 'measured',
    default: false,
  },
  {
    key: 'jemalloc',
    label: 'jemalloc',
    description:
      'jemalloc 5 defaults: freed pages decay over 10 s, but decay only advances when that arena allocates or frees again — an idle arena keeps its dirty pages. The seed\'s "worse".',
    spec: { allocator: 'jemalloc', requires: ['jemalloc'] },
    outcome: 'keeps-while-idle',
    default: true,
  },
  {
    key: 'jemalloc-bg',
    label: 'jemalloc, background_thread:true',
    description: "jemalloc's background threads run decay on a timer, so an idle process gives its dirty pages back.",
    spec: { allocator: 'jemalloc', env: { MALLOC_CONF: 'background_thread:true' }, requires: ['jemalloc'] },
    outcome: 'returns-when-idle',
    default: true,
  },
  {
    key: 'jemalloc-decay0',
    label: 'jemalloc, dirty/muzzy_decay_ms:0',
    description: 'No decay delay: jemalloc purges freed pages at once (more madvise calls, no retained dirty memory).',
    spec: { allocator: 'jemalloc', env: { MALLOC_CONF: 'dirty_decay_ms:0,muzzy_decay_ms:0' }, requires: ['jemalloc'] },
    outcome: 'returns-at-once',
    default: true,
  },
  {
    key: 'mimalloc',
    label: 'mimalloc',
    description:
      "mimalloc 2.0 defaults: per-thread heaps. A block freed by another thread goes back to its owner's heap; an exited thread's segments wait to be reclaimed by a live one.",
    spec: { allocator: 'mimalloc', requires: ['mimalloc'] },
    outcome: 'measured',
    default: false,
  },
  {
    key: 'mimalloc-decommit0',
    label: 'mimalloc, decommit at once',
    description:
      'mimalloc 2.0 with MIMALLOC_DECOMMIT_DELAY=0 and MIMALLOC_SEGMENT_DECOMMIT_DELAY=0: freed pages are decommitted right away instead of after a delay (2.0 names; 2.1 calls it purge_delay).',
    spec: { allocator: 'mimalloc', env: { MIMALLOC_DECOMMIT_DELAY: '0', MIMALLOC_SEGMENT_DECOMMIT_DELAY: '0' }, requires: ['mimalloc'] },
    outcome: 'measured',
    default: false,
  },
  {
    key: 'tcmalloc',
    label: 'tcmalloc',
    description: "gperftools tcmalloc: per-thread caches over a page heap that releases to the kernel gradually.",
    spec: { allocator: 'tcmalloc', requires: ['tcmalloc'] },
    outcome: 'measured',
    default: false,
  },
];

const SHAPES: Array<{ shape: Shape; suffix: string; label: string }> = [
  { shape: 'fresh-thread', suffix: 'fresh', label: 'fresh threads per cycle' },
  { shape: 'same-thread', suffix: 'same', label: 'one long-lived thread' },
];

function variantOf(config: AllocatorConfig, shape: (typeof SHAPES)[number]): VariantSpec<FaissParams> {
  const { params, ...spec } = config.spec;
  return {
    id: `${config.key}-${shape.suffix}`,
    label: `${config.label}, ${shape.label}`,
    description: config.description,
    ...spec,
    params: { ...params, shape: shape.shape },
    // the seed's shape is the default set; the long-lived-thread shape is there to compare (--variant, --all-variants)
    default: shape.shape === 'fresh-thread' && config.default,
  };
}

function configOf(variantId: string): AllocatorConfig | undefined {
  return CONFIGS.find((c) => SHAPES.some((s) => `${c.key}-${s.suffix}` === variantId));
}

export default defineExperiment<FaissParams>({
  id: 'faiss-cycles',
  title: 'Train/free cycles on native threads: RSS vs live bytes, per allocator',
  seed: 'seed 000 (faiss train/free cycles under cgo)',
  summary:
    'Every cycle allocates training vectors and batch buffers on native threads, trains (temporaries interleaved with ' +
    'the new index), then frees everything but the new index and idles. Live bytes stay at one index; RSS does not ' +
    "follow: glibc keeps freed chunks in per-thread arenas (malloc_trim returns them), jemalloc's decay only advances " +
    'on allocator activity unless background threads run it, so an idle service keeps its dirty pages.',
  story: [
    { phase: 'baseline', title: 'The service starts', text: 'Node and the addon, nothing trained yet.' },
    {
      phase: 'cycle1',
      title: 'Cycle 1: load and train',
      text: 'Training vectors (0.5-4 KiB each) and large batch buffers are allocated on native threads; training interleaves temporaries with the blocks of the new index, which is what survives the cycle.',
    },
    {
      phase: 'cycle1-freed',
      title: 'Cycle 1: free the data',
      text: "Everything but the new index is freed. glibc keeps the memory in the arenas (one per thread) for reuse; only a heap's top can shrink, and the index sits on top. The large batch buffers were mmap'd and munmap'd — and the free raised glibc's mmap threshold, so next cycle's batches land in the arenas.",
    },
    {
      phase: 'cycle2-freed',
      title: 'Cycle 2 and on: free the old index',
      text: 'The old index is freed only after the new one is built, so the holes it leaves sit under the new one. Live bytes stay at one index; RSS stays at the peak working set, or climbs.',
    },
    {
      phase: 'idle',
      title: 'Idle until the next cron tick',
      text: "Nothing allocates. jemalloc without background threads has nobody to run its decay: the dirty pages of the workers' arenas stay. With background_thread:true they go back within ~10 s; with decay 0 they were never kept. glibc keeps everything unless malloc_trim ran.",
    },
  ],
  params: {
    cycles: { type: 'int', default: 4, min: 1, max: 100, description: 'train/free cycles' },
    trainBytes: { type: 'bytes', default: 192 * MiB, min: 1 * MiB, max: 8192 * MiB, description: 'training vectors per cycle' },
    vectorMinBytes: { type: 'bytes', default: 512, min: 16, max: 1 * MiB, description: 'smallest training vector block' },
    vectorMaxBytes: { type: 'bytes', default: 4096, min: 16, max: 1 * MiB, description: 'largest training vector block' },
    batchBytes: { type: 'bytes', default: 64 * MiB, min: 0, max: 4096 * MiB, description: 'large per-round training buffers (256 KiB..1 MiB) per cycle' },
    indexFraction: { type: 'number', default: 0.1, min: 0.001, max: 0.9, description: 'the new index, as a share of the training bytes' },
    shape: { type: 'string', default: 'fresh-thread', choices: ['fresh-thread', 'same-thread'], description: 'where the work runs: new native threads each step, or one long-lived native thread' },
    threads: { type: 'int', default: 4, min: 1, max: 64, description: 'native threads per step (fresh-thread shape)' },
    trimEachCycle: { type: 'boolean', default: false, description: 'malloc_trim(0) after each cycle (glibc)' },
    idleBetweenMs: { type: 'ms', default: 500, min: 0, max: 600_000, description: 'idle between cycles' },
    finalIdleMs: { type: 'ms', default: 11_000, min: 0, max: 3_600_000, description: 'idle after the last cycle (jemalloc decays over 10 s)' },
  },
  quick: { cycles: 3, trainBytes: 48 * MiB, batchBytes: 32 * MiB, idleBetweenMs: 300, finalIdleMs: 3000 },
  variants: SHAPES.flatMap((shape) => CONFIGS.map((c) => variantOf(c, shape))),
  sampling: { intervalMs: 50 },
  timeoutMs: (p) => 60_000 + p.cycles * (p.idleBetweenMs + Math.ceil((p.trainBytes + p.batchBytes) / MiB) * 100) + p.finalIdleMs,
  headline: [
    { metric: 'rss@max', label: 'RSS peak' },
    { metric: 'metric.lastCycleRssBytes', label: 'RSS after last cycle' },
    { metric: 'rss@end:idle', label: 'RSS after idle' },
    { metric: 'live@end:idle', label: 'live' },
    { metric: 'metric.rssOverLive', label: '(RSS − base) / live' },
  ],
  series: ['live', 'alloc.allocated', 'alloc.resident', 'alloc.free'],
  metrics: (outcome, p) => {
    const baseline = at(outcome, 'rss@end:baseline');
    const last = `cycle${p.cycles}-freed`;
    const live = at(outcome, 'live@end:idle');
    const heldAfterCycles = diff(at(outcome, `rss@end:${last}`), baseline);
    const heldAtEnd = diff(at(outcome, 'rss@end:idle'), baseline);
    const peak = diff(at(outcome, 'rss@max'), baseline);
    return {
      baselineRssBytes: baseline,
      lastCycleRssBytes: at(outcome, `rss@end:${last}`),
      peakAboveBaselineBytes: peak,
      heldAfterCyclesBytes: heldAfterCycles,
      heldAtEndBytes: heldAtEnd,
      liveAtEndBytes: live,
      rssOverLive: heldAtEnd !== null && live !== null && live > 0 ? heldAtEnd / live : null,
      // share of the peak working set still resident once the last cycle has freed it
      keptShareAfterCycles: heldAfterCycles !== null && peak !== null && peak > 0 ? heldAfterCycles / peak : null,
      // climb from the first cycle's end to the last one's
      growthOverCyclesBytes: diff(at(outcome, `rss@end:${last}`), at(outcome, 'rss@end:cycle1-freed')),
      // what time alone gave back while nothing allocated
      returnedWhileIdleBytes: diff(at(outcome, 'rss@start:idle'), at(outcome, 'rss@end:idle')),
    };
  },
  expectations: (v, p) => {
    const config = configOf(v.id);
    const out: Expectation[] = [
      {
        id: 'index-live',
        text: 'only the last index is live at the end (one share of the training bytes)',
        left: 'live@end:idle',
        op: '>',
        right: 0,
      },
    ];
    const keepsAboveLive: Expectation = {
      id: 'rss-above-live',
      text: 'after the cycles RSS stays well above the live bytes (one index): freed memory is kept by the allocator',
      left: 'metric.heldAfterCyclesBytes',
      op: '>=',
      right: 'metric.liveAtEndBytes',
      factor: 2,
    };
    switch (config?.outcome) {
      case 'keeps':
        out.push(keepsAboveLive, {
          id: 'keeps-working-set',
          text: 'most of the peak working set is still resident after the last cycle freed it',
          left: 'metric.keptShareAfterCycles',
          op: '>=',
          right: 0.5,
        });
        break;
      case 'keeps-while-idle':
        out.push(
          { ...keepsAboveLive, left: 'metric.heldAtEndBytes', text: 'after the idle period RSS is still well above the live bytes: decay without allocator activity hardly advances' },
          {
            id: 'idle-returns-little',
            text: 'idling returns at most half of what the cycles left (no background thread runs decay for idle arenas)',
            left: 'metric.returnedWhileIdleBytes',
            op: '<=',
            right: 'metric.heldAfterCyclesBytes',
            factor: 0.5,
          },
        );
        break;
      case 'returns-at-once':
        out.push({
          id: 'returns-working-set',
          text: 'free memory goes back at each cycle: little of the peak working set is resident after the last cycle',
          left: 'metric.keptShareAfterCycles',
          op: '<=',
          right: 0.3,
        });
        break;
      case 'returns-when-idle':
        // jemalloc's decay curve spans dirty_decay_ms (10 s): a shorter idle shows only part of it
        if (p.finalIdleMs < 10_000) break;
        out.push({
          id: 'idle-returns',
          text: 'idle, the background thread runs decay: a good part of what the cycles left goes back',
          left: 'metric.returnedWhileIdleBytes',
          op: '>=',
          right: 'metric.heldAfterCyclesBytes',
          factor: 0.3,
        });
        break;
      default:
        break;
    }
    return out;
  },
  body: async (ctx) => {
    const p = ctx.params;
    if (p.vectorMinBytes > p.vectorMaxBytes) throw new RangeError(`vectorMinBytes (${p.vectorMinBytes}) must be <= vectorMaxBytes (${p.vectorMaxBytes})`);
    const shape = p.shape as Shape;
    const glibc = detectAllocator().name === 'glibc';
    const mean = (a: number, b: number): number => (a + b) / 2;
    const trainCount = Math.max(1, Math.round(p.trainBytes / mean(p.vectorMinBytes, p.vectorMaxBytes)));
    const batch = { minSize: 256 * KiB, maxSize: 1 * MiB };
    const batchPerRound = Math.round(p.batchBytes / TRAIN_ROUNDS / mean(batch.minSize, batch.maxSize));
    const scratch = { minSize: 64, maxSize: 1024 };
    const scratchPerRound = Math.max(1, Math.round((p.trainBytes * SCRATCH_FRACTION) / TRAIN_ROUNDS / mean(scratch.minSize, scratch.maxSize)));
    const indexBlock = { minSize: 256, maxSize: 4096 };
    const indexPerRound = Math.max(1, Math.round((p.trainBytes * p.indexFraction) / TRAIN_ROUNDS / mean(indexBlock.minSize, indexBlock.maxSize)));

    let seed = 1;
    const allocate = (set: BlockSet, count: number, sizes: { minSize: number; maxSize: number }): void => {
      if (count <= 0) return;
      seed += 64;
      if (shape === 'fresh-thread') {
        runOnThreads(set, { threads: p.threads, countPerThread: Math.ceil(count / p.threads), ...sizes, seed });
      } else {
        worker!.allocate(set, { count, ...sizes, seed });
      }
    };
    // The same-thread shape's service thread: one native thread for the whole run, with its own
    // arena (not the main arena Node itself allocates from), as a long-lived cgo thread would.
    const worker = shape === 'same-thread' ? new NativeThread() : null;
    const free = (set: BlockSet): void => {
      if (worker) worker.freeAll(set);
      else set.freeAll();
    };
    let index: BlockSet | null = null;
    const sets: BlockSet[] = [];
    const liveBytes = (): number => sets.reduce((sum, s) => sum + s.liveBytes, 0) + (index?.liveBytes ?? 0);
    const reportState = (): void => {
      const values: Record<string, number | null> = { live: liveBytes(), 'live.index': index?.liveBytes ?? 0 };
      // glibc: one arena per thread that ever allocated (up to 8 per core), each kept apart
      if (glibc) values['glibc.arenas'] = mallocInfo().arenas.length;
      ctx.report(values);
      ctx.reportAllocator();
    };

    await ctx.phase('baseline', 'service started');
    reportState();

    for (let c = 1; c <= p.cycles; c++) {
      await ctx.phase(`cycle${c}`, `cycle ${c}: load and train`);
      const data = new BlockSet();
      const batches = new BlockSet();
      const temps = new BlockSet();
      const next = new BlockSet();
      sets.push(data, batches, temps, next);
      allocate(data, trainCount, { minSize: p.vectorMinBytes, maxSize: p.vectorMaxBytes });
      // Training rounds (k-means iterations): large per-round buffers, small temporaries and the
      // blocks of the new index, interleaved. From cycle 2 on, glibc's raised mmap threshold puts the
      // large buffers in the arenas, among the index blocks that outlive them.
      for (let r = 0; r < TRAIN_ROUNDS; r++) {
        allocate(batches, batchPerRound, batch);
        allocate(temps, scratchPerRound, scratch);
        allocate(next, indexPerRound, indexBlock);
      }
      reportState();

      await ctx.phase(`cycle${c}-freed`, `cycle ${c}: data and old index freed`);
      free(data);
      free(batches);
      free(temps);
      if (index) free(index);
      sets.length = 0;
      index = next;
      if (p.trimEachCycle) mallocTrim(0);
      reportState();
      if (c < p.cycles) await ctx.sleep(p.idleBetweenMs);
    }

    await ctx.phase('idle', 'idle');
    reportState();
    await ctx.sleep(p.finalIdleMs);
    reportState();
    worker?.stop();
  },
});
