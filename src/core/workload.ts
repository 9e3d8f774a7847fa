// A block-set workload on fresh native threads, the way cgo runs C from a new goroutine (seed
// 000): glibc gives each new thread its own arena, so freed memory ends up spread over arenas.
import type { NativeThreadHandle } from '../native.js';
import { binding } from './binding.js';
import { invalidType, outOfRange } from './errors.js';
import { BlockSet, checkBlockSizes, checkSeed, MAX_BLOCKS_PER_CALL, nativeBlockSet } from './heap.js';
import { checkInteger, checkOptions } from './validate.js';
import { trainCycleArgs, type TrainCycleResult, type TrainCycleSpec } from './train-cycle.js';

/** native/workload.cc's limit */
export const MAX_THREADS = 256;

export interface ThreadsOptions {
  /** fresh pthreads to start, all alive together, joined before returning */
  threads: number;
  /** blocks each thread allocates into the set */
  countPerThread: number;
  minSize: number;
  maxSize: number;
  /** thread i uses a seed derived from seed and i (default 1) */
  seed?: number;
}

export interface ThreadsResult {
  threads: number;
  /** the set's live bytes afterwards */
  liveBytes: number;
}

/**
 * Allocate `threads × countPerThread` blocks into `set` from `threads` new native threads. The call blocks
 * until they have all finished.
 * @throws RsslabSystemError EAGAIN (syscall 'pthread_create') or ENOMEM (syscall 'malloc'); blocks already made are kept.
 */
export function runOnThreads(set: BlockSet, options: ThreadsOptions): ThreadsResult {
  const handle = set instanceof BlockSet ? nativeBlockSet(set) : undefined;
  if (handle === undefined) throw invalidType('set must be a BlockSet (new BlockSet())');
  checkOptions('options', options);
  const { threads, countPerThread, minSize, maxSize, seed = 1 } = options;
  checkInteger('threads', threads, 1, MAX_THREADS);
  checkInteger('countPerThread', countPerThread, 0);
  if (threads * countPerThread > MAX_BLOCKS_PER_CALL) {
    throw outOfRange(`threads * countPerThread must be <= ${MAX_BLOCKS_PER_CALL}; got ${threads} * ${countPerThread}`);
  }
  checkBlockSizes(minSize, maxSize);
  checkSeed(seed);
  return binding().runOnThreads(handle, threads, countPerThread, minSize, maxSize as number, seed);
}

const threadHandles = new WeakMap<NativeThread, NativeThreadHandle>();

/**
 * One long-lived native thread that runs block-set work synchronously — a cgo service whose C calls
 * keep landing on the same OS thread. Unlike runOnThreads (fresh threads that exit), its glibc
 * arena and tcache live as long as the thread: what it frees stays in that arena for its next call.
 * `stop()` joins the thread (also done when the handle is garbage collected).
 */
export class NativeThread {
  constructor() {
    threadHandles.set(this, new (binding().NativeThread)());
  }

  get #native(): NativeThreadHandle {
    return threadHandles.get(this) as NativeThreadHandle;
  }

  /** allocate blocks into `set` on this thread (see BlockSet.allocate) */
  allocate(set: BlockSet, options: { count: number; minSize: number; maxSize: number; seed?: number }): void {
    const handle = set instanceof BlockSet ? nativeBlockSet(set) : undefined;
    if (handle === undefined) throw invalidType('set must be a BlockSet (new BlockSet())');
    checkOptions('options', options);
    const { count, minSize, maxSize, seed = 1 } = options;
    checkInteger('count', count, 0, MAX_BLOCKS_PER_CALL);
    checkBlockSizes(minSize, maxSize);
    checkSeed(seed);
    this.#native.allocate(handle, count, minSize, maxSize as number, seed);
  }

  /** free every k-th live block of `set` on this thread; returns bytes freed */
  freeEvery(set: BlockSet, k: number, options: { start?: number } = {}): number {
    const handle = set instanceof BlockSet ? nativeBlockSet(set) : undefined;
    if (handle === undefined) throw invalidType('set must be a BlockSet (new BlockSet())');
    checkInteger('k', k, 1);
    checkOptions('options', options);
    const start = options.start ?? 0;
    checkInteger('options.start', start, 0);
    return this.#native.freeEvery(handle, k, start);
  }

  /** free blocks [from, to) of `set` on this thread; returns bytes freed */
  freeRange(set: BlockSet, from: number, to: number): number {
    const handle = set instanceof BlockSet ? nativeBlockSet(set) : undefined;
    if (handle === undefined) throw invalidType('set must be a BlockSet (new BlockSet())');
    checkInteger('from', from, 0);
    checkInteger('to', to, 0);
    if (from > to || to > set.count) throw outOfRange(`need 0 <= from <= to <= count (${set.count}); got from ${from}, to ${to}`);
    return this.#native.freeRange(handle, from, to);
  }

  /** free all of `set` on this thread; returns bytes freed */
  freeAll(set: BlockSet): number {
    const handle = set instanceof BlockSet ? nativeBlockSet(set) : undefined;
    if (handle === undefined) throw invalidType('set must be a BlockSet (new BlockSet())');
    return this.#native.freeAll(handle);
  }

  /** one faiss train/add/search/free cycle on this thread (see trainCycle); its blocks are all freed, on this thread */
  trainCycle(spec: TrainCycleSpec): TrainCycleResult {
    return this.#native.trainCycle(...trainCycleArgs(spec));
  }

  /** join the thread; later calls throw ERR_RSSLAB_UNMAPPED */
  stop(): void {
    this.#native.stop();
  }

  get running(): boolean {
    return this.#native.running;
  }
}
