// The unit a metric reference is in, from its name: what formatters and comparisons need to know
// about a number before they can show or judge it.
export type Unit = 'bytes' | 'ms' | 'count';

/** Series that hold bytes without saying so in their name (see src/check/metric.ts and the child's reports). */
const MEMORY_SERIES = /^(?:rss|pss|anon|anonHuge|lazyFree|swap|memFree|live|region\.|cgroup\.|alloc\.|v8\.|layer\.|live\.|heap\.|go\.(?:heap|sys|inuse|idle))/;

/**
 * The unit of a metric reference or series name (src/check/metric.ts). Names carry their unit
 * (`timeToRegrowMs`, `pressure.allocatedBytes`); the sampler's memory series and the allocator, V8,
 * live and layer values the child reports are bytes; everything else (THP counters, gc.count,
 * survivors, pages, ratios such as heldOverLive) is a plain number.
 */
export function unitOf(ref: string): Unit {
  const series = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref;
  const leaf = series.slice(series.lastIndexOf('.') + 1);
  if (/Ms$/.test(leaf) || leaf === 'ms') return 'ms';
  if (/Bytes$/.test(leaf)) return 'bytes';
  if (/(?:Pages|pages|count|Count|Sum|ratio|Ratio)$/.test(leaf)) return 'count';
  if (series.startsWith('metric.') || series.startsWith('thp.')) return 'count';
  return MEMORY_SERIES.test(series) ? 'bytes' : 'count';
}
