// A block-set workload on fresh native threads, the way cgo runs C from a new goroutine (PHENOMENA
// case 1): glibc gives each new thread its own arena, so freed memory ends up spread over arenas.
import { binding } from './binding.js';
import { invalidType, outOfRange } from './errors.js';
import { BlockSet, checkBlockSizes, checkSeed, MAX_BLOCKS_PER_CALL, nativeBlockSet } from './heap.js';
import { checkInteger, checkOptions } from './validate.js';

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
