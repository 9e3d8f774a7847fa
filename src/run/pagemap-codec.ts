// Page maps are stored run-length encoded: "<count><char>" groups, a bare char meaning one page.
// A 256 MiB region is 65536 pages but only a handful of runs (512 'H' per huge page, or
// "511.1r" after the seed-004 partial MADV_DONTNEED), so a Run stays small enough to keep dozens.
import { pageMapBudget, rlePageCount } from './pagemap-limits.js';

export function encodePages(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    let j = i + 1;
    while (j < raw.length && raw[j] === c) j++;
    const n = j - i;
    out += n === 1 ? c : `${n}${c}`;
    i = j;
  }
  return out;
}

/** Expand a map; refuses (RangeError) one that claims more than `maxPages` pages before expanding it. */
export function decodePages(rle: string, maxPages = pageMapBudget().perMap): string {
  const counted = rlePageCount(rle, maxPages);
  if (!counted.ok) throw new RangeError(`page map "${rle.slice(0, 40)}…": ${counted.reason}`);
  const parts: string[] = [];
  let count = 0;
  for (let i = 0; i < rle.length; i++) {
    const code = rle.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      count = count * 10 + (code - 48);
      continue;
    }
    parts.push(rle[i]!.repeat(count === 0 ? 1 : count));
    count = 0;
  }
  if (count !== 0) throw new RangeError(`page map "${rle.slice(0, 40)}…" ends with a count and no page state`);
  return parts.join('');
}

/** Counts of each page state, without expanding the string. */
export function countPages(rle: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let count = 0;
  for (let i = 0; i < rle.length; i++) {
    const code = rle.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      count = count * 10 + (code - 48);
      continue;
    }
    const c = rle[i]!;
    counts[c] = (counts[c] ?? 0) + (count === 0 ? 1 : count);
    count = 0;
  }
  return counts;
}
