// The one place that loads the compiled addon and gives it types.
// Everything here is the raw binding: arguments are assumed validated by src/core/*,
// but the C++ side still guards every type and range so that nothing from JS can crash
// the process, so errors cross the boundary like Node's own.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';
import { KNOWN_ALLOCATORS, type AllocatorRecord } from './run/allocator.js';

/** madvise advice names accepted by Region.advise (mapped to MADV_* in region.cc). */
export const ADVICE_NAMES = ['dontneed', 'free', 'hugepage', 'nohugepage', 'collapse', 'cold', 'pageout', 'willneed'] as const;
export type Advice = (typeof ADVICE_NAMES)[number];

/** Which optional kernel features this kernel has, probed once on a scratch mapping. */
export interface NativeFeatures {
  madvFree: boolean; // MADV_FREE, Linux 4.5
  madvCollapse: boolean; // MADV_COLLAPSE, Linux 6.1
  madvCold: boolean; // MADV_COLD, Linux 5.4
  madvPageout: boolean; // MADV_PAGEOUT, Linux 5.4
  madvHugepage: boolean; // MADV_HUGEPAGE / MADV_NOHUGEPAGE, needs CONFIG_TRANSPARENT_HUGEPAGE
  vmaAnonName: boolean; // PR_SET_VMA_ANON_NAME, needs CONFIG_ANON_VMA_NAME
  pageSize: number; // bytes
  hugePageSize: number; // bytes (PMD size), from /sys/kernel/mm/transparent_hugepage/hpage_pmd_size or 2 MiB
}

export interface NativeResidency {
  residentPages: number;
  /** one byte per page: 1 resident, 0 not (mincore's low bit) */
  pages: Uint8Array;
}

/** An anonymous private mapping. Owned by RAII in region.cc. */
export interface NativeRegion {
  readonly address: bigint;
  readonly length: number;
  /** false after unmap(); every other method then throws ERR_RSSLAB_UNMAPPED */
  readonly mapped: boolean;
  /**
   * a view over the mapping; detached on unmap(). Moved away by transfer(), it keeps the mapping alive
   * until collected. Throws RangeError (ERR_OUT_OF_RANGE) when Node refused a buffer this large.
   */
  readonly buffer: ArrayBuffer;
  touch(offset: number, length: number, value: number): void;
  /** `advice`: its name, or its index in NativeBinding.adviceNames (the fast path) */
  advise(offset: number, length: number, advice: Advice | number): void;
  /** `length` bytes every `stride` bytes from `offset`, `count` calls; returns the calls made */
  adviseStrided(offset: number, length: number, stride: number, count: number, advice: Advice | number): number;
  /** [offset, length] pairs; returns the ranges advised */
  adviseRanges(ranges: Float64Array, advice: Advice | number): number;
  residency(offset: number, length: number): NativeResidency;
  /** sums of the bytes, for checking that lazily freed pages read back as zero */
  checksum(offset: number, length: number): number;
  /** optional name via PR_SET_VMA_ANON_NAME; returns false when the kernel refuses (EINVAL here) */
  setName(name: string): boolean;
  unmap(): void;
}

export interface NativeRegionCtor {
  new (length: number, alignHuge: boolean): NativeRegion;
}

/** glibc mallinfo2(), bytes. */
export interface MallInfo2 {
  arena: number; // non-mmapped space allocated (sbrk + arenas)
  ordblks: number;
  smblks: number;
  hblks: number; // mmapped chunks
  hblkhd: number; // bytes in mmapped chunks
  usmblks: number;
  fsmblks: number;
  uordblks: number; // bytes in use
  fordblks: number; // free bytes held by malloc
  keepcost: number; // releasable from top of main arena
}

/** One glibc arena (`<heap nr="..">` of malloc_info), bytes. Free chunks only; tcache chunks count as in use. */
export interface MallocArenaInfo {
  id: number;
  fastCount: number; // free chunks in fastbins
  fastBytes: number;
  restCount: number; // free chunks in the other bins
  restBytes: number;
  systemCurrent: number; // bytes this arena has from the kernel now
  systemMax: number;
  aspaceBytes: number; // address space of the arena
  freeBlocks: number; // fastCount + restCount
}

/** malloc_info(0) XML, parsed by src/core/heap.ts: one entry per arena plus totals. glibc reports mmapped chunks only in total. */
export interface MallocInfo {
  arenas: MallocArenaInfo[];
  total: { fastCount: number; fastBytes: number; restCount: number; restBytes: number; systemCurrent: number; systemMax: number; mmapCount: number; mmapBytes: number; aspaceBytes: number };
  raw: string;
}

export const MALLOPT_PARAMS = ['mmapThreshold', 'trimThreshold', 'arenaMax', 'topPad'] as const;
export type MalloptParam = (typeof MALLOPT_PARAMS)[number];

/** A set of C heap blocks allocated natively; the pattern that fragments a heap. */
export interface NativeBlockSet {
  /** allocate count blocks with sizes drawn uniformly from [minSize, maxSize] (deterministic seed); each block is written */
  allocate(count: number, minSize: number, maxSize: number, seed: number): void;
  /** free every k-th live block starting at index `start`; returns bytes freed */
  freeEvery(k: number, start: number): number;
  /** free blocks with index in [from, to); returns bytes freed */
  freeRange(from: number, to: number): number;
  /** free everything; returns bytes freed */
  /** free everything and drop the set's own index (16 bytes per block), so count is 0 again; returns bytes freed */
  freeAll(): number;
  readonly count: number; // blocks allocated since the last freeAll (indexes are stable until then)
  readonly liveCount: number;
  readonly liveBytes: number; // requested bytes still allocated
}
export interface NativeBlockSetCtor {
  new (): NativeBlockSet;
}

/** What the addon can say malloc is: one of the allocators rsslab knows, or 'unknown'. */
export const ALLOCATOR_NAMES = [...KNOWN_ALLOCATORS, 'unknown'] as const;
export type AllocatorName = (typeof ALLOCATOR_NAMES)[number];

/** One normalised shape for every allocator's own statistics, bytes. null when that allocator has no such figure. */
export interface AllocatorStats {
  allocator: AllocatorName;
  allocated: number | null; // bytes the application holds
  active: number | null; // bytes in active pages (jemalloc stats.active; glibc, tcmalloc and mimalloc have no such figure: null)
  resident: number | null; // bytes the allocator believes are resident
  mapped: number | null; // bytes mapped from the OS (mimalloc: committed bytes, its only figure in a release build)
  retained: number | null; // bytes kept mapped but returned (jemalloc retained, tcmalloc unmapped)
  metadata: number | null;
  free: number | null; // bytes free inside the allocator, not returned (glibc fordblks, tcmalloc pageheap_free)
}

/** The allocator live in this process; `library` is the shared object the malloc symbol resolves to (dladdr). */
export interface AllocatorInfo extends AllocatorRecord {
  name: AllocatorName;
}

/** A long-lived native thread that runs block-set work synchronously (native/worker.cc). */
export interface NativeThreadHandle {
  allocate(set: NativeBlockSet, count: number, minSize: number, maxSize: number, seed: number): void;
  freeEvery(set: NativeBlockSet, k: number, start: number): number;
  freeRange(set: NativeBlockSet, from: number, to: number): number;
  freeAll(set: NativeBlockSet): number;
  trainCycle(...spec: NativeTrainCycleArgs): NativeTrainCycleResult;
  stop(): void;
  readonly running: boolean;
}

/** rows, dim, nlist, iterations, sampleRows, chunkRows, blockBytes, team, queries, nprobe, seed (native/train-cycle.h) */
export type NativeTrainCycleArgs = [number, number, number, number, number, number, number, number, number, number, number];

export interface NativeTrainCycleResult {
  tid: number;
  freeTid: number;
  helperTid: number;
  peakBytes: number;
  allocations: number;
}

export interface NativeThreadsResult {
  threads: number;
  liveBytes: number;
}

/**
 * An open lock file (native/lock.cc): opened O_RDWR|O_CREAT|O_CLOEXEC|O_NOFOLLOW, mode 0600; the
 * kernel's flock(2) decides who holds it and drops it when the holder dies. Owns its fd (closed by
 * close() or when collected); `fd` is -1 once closed, for reading and writing the owner's identity.
 */
export interface NativeFileLock {
  /** 0 when this open file now holds LOCK_EX; else the errno (EWOULDBLOCK/EAGAIN: held elsewhere) */
  tryLock(): number;
  /** closes the fd, which releases the lock; idempotent */
  close(): void;
  readonly fd: number;
  /** true when opening created the file (it did not exist) */
  readonly created: boolean;
}

export interface NativeBinding {
  features(): NativeFeatures;
  /** Handed the JS error class once, so native errors are instanceof-safe (better-sqlite3's way). */
  setErrorClass(ctor: new (message: string, code: string, errno: number, syscall: string) => Error): void;

  Region: NativeRegionCtor;
  /** the advice names in the addon's order: an advice's code is its index here */
  readonly adviceNames: readonly string[];

  // THP for this process
  thpDisableGet(): boolean;
  thpDisableSet(disabled: boolean): void;
  /** replace the current process image; environment and prctl THP setting are kept. Only returns by throwing. */
  execve(file: string, args: string[], env: Record<string, string>, inheritFds?: number[]): never;

  // C heap
  BlockSet: NativeBlockSetCtor;
  mallocTrim(pad: number): boolean;
  mallopt(param: MalloptParam, value: number): boolean;
  mallinfo2(): MallInfo2;
  /** raw malloc_info(0) XML of glibc's heap; parsed into MallocInfo by src/core/heap.ts */
  mallocInfo(): string;

  // which allocator
  allocatorInfo(): AllocatorInfo;
  allocatorStats(): AllocatorStats;
  /** give free memory back to the kernel now; returns what was called, e.g. "arena.<all>.purge" */
  allocatorPurge(): string;

  // native threads: run a block-set workload on `threads` fresh pthreads, joined before returning
  runOnThreads(set: NativeBlockSet, threads: number, countPerThread: number, minSize: number, maxSize: number, seed: number): NativeThreadsResult;
  NativeThread: new () => NativeThreadHandle;
  /** one faiss train/add/search/free cycle's allocations on the calling thread */
  trainCycle(...spec: NativeTrainCycleArgs): NativeTrainCycleResult;

  FileLock: new (path: string) => NativeFileLock;

  /**
   * Page-map classification (native/pagemap.cc): `pageCount` pagemap entries at the start of `pagemap`
   * become one character per page in `out` ('.', 's', 'r', 'H', 'L'), with kpageflags read from
   * `kpageflagsFd` (-1: none) in runs of adjacent PFNs. Returns 1 when kpageflags classified the pages,
   * 0 when only the present/swapped bits were used. With the pagemap's descriptor and the range's
   * start address, blocks the PAGEMAP_SCAN ioctl reports PMD-mapped read one kpageflags entry each.
   * `stats` (3 numbers), when given, receives: kpageflags entries read, preads, blocks read by their head.
   */
  classifyPageMap(pagemap: Uint8Array, pageCount: number, kpageflagsFd: number, out: Uint8Array, pagemapFd?: number, startAddress?: bigint, stats?: Float64Array): 0 | 1;
}

/**
 * node-gyp-build finds the addon: a local build (build/Release, what `npm ci` in a clone makes) first,
 * else the prebuilt binary the package ships for this platform and architecture (prebuilds/), so a
 * user needs no compiler. Nothing found is one line saying what to do, not its stack of paths.
 */
function load(): NativeBinding {
  if (process.platform !== 'linux') {
    throw Object.assign(new Error(`rsslab runs on Linux only: it measures the Linux kernel's memory behaviour (this is ${process.platform}).`), { code: 'ERR_RSSLAB_PLATFORM' });
  }
  const root = packageRoot();
  const require = createRequire(import.meta.url);
  const gypBuild = require('node-gyp-build') as { (dir: string): unknown; resolve(dir: string): string };
  let file: string;
  try {
    file = gypBuild.resolve(root);
  } catch {
    const local = join(root, 'build', 'Release', 'rsslab.node');
    throw Object.assign(
      new Error(`the native addon is not built (${local} is missing and no prebuilt binary fits linux-${process.arch}). Run \`npm ci\` (or \`npm run build\`) in ${root}.`),
      { code: 'ERR_RSSLAB_NOT_BUILT' },
    );
  }
  return require(file) as NativeBinding;
}

let cached: NativeBinding | undefined;
/** The addon, loaded on first use so that pure modules (parsers, reports) work without it. */
export function native(): NativeBinding {
  cached ??= load();
  return cached;
}
