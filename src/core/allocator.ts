// Which malloc serves this process, and its own view of memory (seed 000, faiss under cgo: the same workload
// under glibc, jemalloc, mimalloc and tcmalloc). Detection is by the shared object that `malloc`
// resolves to, at run time; LD_PRELOAD of another allocator serves Node's own mallocs too.
import { ALLOCATOR_NAMES, type AllocatorInfo, type AllocatorName, type AllocatorStats } from '../native.js';
import { binding } from './binding.js';

export { ALLOCATOR_NAMES, type AllocatorInfo, type AllocatorName, type AllocatorStats };

let detected: AllocatorInfo | undefined;

/** The live allocator: name, version ("5.3.0-0-g…", "2.0.9", "2.10", "2.36") and the library `malloc` resolves to. */
export function detectAllocator(): AllocatorInfo {
  // It cannot change during the life of a process.
  detected ??= binding().allocatorInfo();
  return { ...detected };
}

/**
 * The live allocator's own statistics in one shape, bytes; a figure is null where that allocator has none
 * (a release build of mimalloc 2.0 reports only committed bytes, as `mapped`). jemalloc's are refreshed
 * (mallctl "epoch") on each call.
 */
export function allocatorStats(): AllocatorStats {
  return binding().allocatorStats();
}

/**
 * Give the live allocator's free memory back to the kernel now. Returns what was called:
 * "arena.4096.purge" (jemalloc, all arenas), "mi_collect(true)", "MallocExtension_ReleaseFreeMemory()",
 * or "malloc_trim(0)" (glibc).
 * @throws RsslabSystemError ERR_RSSLAB_UNSUPPORTED for an allocator rsslab does not know.
 */
export function purgeAllocator(): string {
  return binding().allocatorPurge();
}
