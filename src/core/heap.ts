// The C heap (seeds 000–002): blocks malloc'd and freed natively, and glibc's own controls.
// Freed blocks go back to malloc's free lists, not to the kernel: RSS stays until malloc_trim returns
// the whole pages inside free chunks, and chunks between live neighbours hold no whole page at all.
//
// mallocTrim, mallopt, mallinfo2 and mallocInfo always act on glibc's heap (native/heap.cc resolves
// them in libc.so.6). When jemalloc, mimalloc or tcmalloc is preloaded that heap is idle; use
// allocatorStats() / purgeAllocator() from ./allocator.js for the live allocator.
import { MALLOPT_PARAMS, type MallInfo2, type MallocInfo, type MalloptParam, type NativeBlockSet } from '../native.js';
import { binding } from './binding.js';
import { invalidValue, outOfRange } from './errors.js';
import { parseMallocInfo } from './malloc-info.js';
import { checkInteger, checkOptions } from './validate.js';

export { MALLOPT_PARAMS, parseMallocInfo, type MallInfo2, type MallocInfo, type MalloptParam };

/** Limits shared with native/heap.h (kMaxBlocksPerCall, kMaxBlockSize). */
export const MAX_BLOCKS_PER_CALL = 2 ** 26;
export const MAX_BLOCK_BYTES = 2 ** 30;
const MAX_SEED = Number.MAX_SAFE_INTEGER;

export interface AllocateOptions {
  /** how many blocks */
  count: number;
  /** block sizes are drawn uniformly from [minSize, maxSize], bytes */
  minSize: number;
  maxSize: number;
  /** PRNG seed for the sizes (default 1): the same seed gives the same sizes */
  seed?: number;
}

/** Checks shared with runOnThreads (./workload.js). */
export function checkBlockSizes(minSize: unknown, maxSize: unknown): asserts minSize is number {
  checkInteger('minSize', minSize, 1, MAX_BLOCK_BYTES);
  checkInteger('maxSize', maxSize, 1, MAX_BLOCK_BYTES);
  if (minSize > maxSize) throw outOfRange(`minSize must be <= maxSize; got minSize ${minSize}, maxSize ${maxSize}`);
}

export function checkSeed(seed: unknown): asserts seed is number {
  checkInteger('seed', seed, 0, MAX_SEED);
}

const handles = new WeakMap<BlockSet, NativeBlockSet>();

/** @internal the native handle, for runOnThreads */
export function nativeBlockSet(set: BlockSet): NativeBlockSet | undefined {
  return handles.get(set);
}

/**
 * C heap blocks with stable indexes (0 .. count-1, in allocation order). Every block is written in full
 * so its pages are resident. Whatever is still live is freed when the set is garbage collected, but
 * experiments should free explicitly: GC timing is not a measurement.
 */
export class BlockSet {
  constructor() {
    handles.set(this, new (binding().BlockSet)());
  }

  get #native(): NativeBlockSet {
    return handles.get(this) as NativeBlockSet;
  }

  /**
   * malloc `count` more blocks with deterministic sizes and write every byte of them.
   * @throws RangeError for counts or sizes out of range, RsslabSystemError ENOMEM (syscall 'malloc') when malloc fails
   *   (the blocks allocated before the failure are kept).
   */
  allocate(options: AllocateOptions): void {
    checkOptions('options', options);
    const { count, minSize, maxSize, seed = 1 } = options;
    checkInteger('count', count, 0, MAX_BLOCKS_PER_CALL);
    checkBlockSizes(minSize, maxSize);
    checkSeed(seed);
    this.#native.allocate(count, minSize, maxSize as number, seed);
  }

  /** free blocks start, start+k, start+2k, … (those still live); k=2 frees every other block. Returns bytes freed. */
  freeEvery(k: number, options: { start?: number } = {}): number {
    checkInteger('k', k, 1);
    checkOptions('options', options);
    const start = options.start ?? 0;
    checkInteger('options.start', start, 0);
    return this.#native.freeEvery(k, start);
  }

  /** free the live blocks with index in [from, to). Returns bytes freed. */
  freeRange(from: number, to: number): number {
    checkInteger('from', from, 0);
    checkInteger('to', to, 0);
    if (from > to || to > this.count) throw outOfRange(`need 0 <= from <= to <= count (${this.count}); got from ${from}, to ${to}`);
    return this.#native.freeRange(from, to);
  }

  /**
   * free every live block and the set's own index (16 bytes per block), so `count` starts again at 0.
   * Returns bytes freed.
   */
  freeAll(): number {
    return this.#native.freeAll();
  }

  /** blocks allocated since the last freeAll (the next index) */
  get count(): number {
    return this.#native.count;
  }
  get liveCount(): number {
    return this.#native.liveCount;
  }
  /** requested bytes still allocated (malloc's own chunk overhead not included) */
  get liveBytes(): number {
    return this.#native.liveBytes;
  }
}

/**
 * glibc malloc_trim(padBytes): give free memory back to the kernel, from the top of the main heap and
 * (since glibc 2.8) every whole page inside free chunks of every arena. True when anything was released.
 */
export function mallocTrim(padBytes = 0): boolean {
  checkInteger('padBytes', padBytes, 0);
  return binding().mallocTrim(padBytes);
}

// glibc mallopt's own limits: M_MMAP_THRESHOLD at most HEAP_MAX_SIZE/2 (32 MiB on 64-bit); an
// M_ARENA_MAX of 0 is silently ignored, so it is refused here.
const MALLOPT_RANGES: Record<MalloptParam, [number, number]> = {
  mmapThreshold: [0, 32 * 1024 * 1024],
  trimThreshold: [0, 2 ** 31 - 1],
  arenaMax: [1, 2 ** 31 - 1],
  topPad: [0, 2 ** 31 - 1],
};

/**
 * glibc mallopt. Setting mmapThreshold, trimThreshold or topPad also turns off glibc's dynamic mmap
 * threshold (the one that rises after a large free and sends the next large blocks to the arenas).
 * @throws TypeError ERR_INVALID_ARG_VALUE for an unknown param, RangeError for a value outside glibc's range.
 */
export function mallopt(param: MalloptParam, value: number): void {
  if (typeof param !== 'string' || !(MALLOPT_PARAMS as readonly string[]).includes(param)) {
    throw invalidValue(`param must be one of ${MALLOPT_PARAMS.join(', ')}; got ${JSON.stringify(param)}`);
  }
  const [min, max] = MALLOPT_RANGES[param];
  checkInteger('value', value, min, max);
  if (!binding().mallopt(param, value)) throw outOfRange(`glibc refused mallopt(${param}, ${value})`);
}

/** glibc mallinfo2(), summed over all arenas, bytes. */
export function mallinfo2(): MallInfo2 {
  return binding().mallinfo2();
}

/** glibc malloc_info(0), parsed: one entry per arena and the totals. */
export function mallocInfo(): MallocInfo {
  return parseMallocInfo(binding().mallocInfo());
}
