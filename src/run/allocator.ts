// The allocators rsslab knows by name, and how a Run records the one that served a process. One
// vocabulary for the addon (which malloc is live), the system room (which library to preload), the
// experiment contract (a variant's allocator) and the Run; it lives with the Run because the Run is
// where every one of them writes it down.

/** The malloc implementations rsslab can preload, detect and explain (seed 000). */
export const KNOWN_ALLOCATORS = ['glibc', 'jemalloc', 'mimalloc', 'tcmalloc'] as const;
export type KnownAllocator = (typeof KNOWN_ALLOCATORS)[number];

/**
 * Which allocator served a process, as a Run holds it. `name` is any text: a Run read back may come
 * from another rsslab, and a static Go binary names its own allocator.
 */
export interface AllocatorRecord {
  name: string;
  version: string | null;
  /** the shared object malloc resolves to, or the preloaded library; null where there is none */
  library: string | null;
}
