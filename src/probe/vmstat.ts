// /proc/vmstat THP counters: machine-wide event counts since boot. Seed 004's story is told by
// thp_collapse_alloc (khugepaged built a huge page), thp_deferred_split_page (a partly freed huge
// page was queued, not freed) and thp_split_page (pressure or the shrinker finally split it).
import path from 'node:path';
import { parseSpaceLines } from './fields.js';
import { readText } from './procfile.js';

/** Counters kept beside the thp_* family because they tell the same story. */
const RELATED = ['nr_anon_transparent_hugepages', 'nr_anon_pages', 'pgfault', 'pgmajfault'];

/** Every thp_* counter, plus nr_anon_transparent_hugepages (in huge pages) and a few related ones. */
export function parseVmstatThp(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of parseSpaceLines(text)) {
    if (name.startsWith('thp_') || RELATED.includes(name)) out[name] = value;
  }
  if (!('nr_anon_pages' in out) && !('pgfault' in out)) {
    throw new Error('/proc/vmstat text has neither nr_anon_pages nor pgfault; is it really /proc/vmstat?');
  }
  return out;
}

export function readVmstatThp(root = '/'): Record<string, number> {
  return parseVmstatThp(readText(path.join(root, 'proc', 'vmstat')));
}
