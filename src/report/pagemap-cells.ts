// Shrinking a run-length encoded page map straight into grid cells, without expanding it: the work is
// one step per run plus one per cell, whatever the region's size, so a map that claims millions of
// pages costs what its text costs (the Run validator has already bounded the count).
import { PAGE_STATES, type PageState } from './pagemap-grid.js';
import { rlePageCount } from '../run/pagemap-limits.js';

function majority(counts: Map<string, number>): PageState {
  let best: PageState = '.';
  let bestCount = -1;
  for (const state of PAGE_STATES) {
    const n = counts.get(state) ?? 0;
    if (n > bestCount) {
      best = state;
      bestCount = n;
    }
  }
  return best;
}

/** The same cells as shrinkPages(decodePages(rle), perCell, cells). */
export function shrinkRle(rle: string, perCell: number, cells: number): string {
  const out: string[] = [];
  let counts = new Map<string, number>();
  let inCell = 0;
  const flush = (): void => {
    out.push(majority(counts));
    counts = new Map();
    inCell = 0;
  };
  let count = 0;
  let digits = 0;
  for (let i = 0; i < rle.length && out.length < cells; i++) {
    const code = rle.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      count = count * 10 + (code - 48);
      digits++;
      continue;
    }
    const state = rle[i]!;
    let n = digits === 0 ? 1 : count;
    count = 0;
    digits = 0;
    while (n > 0 && out.length < cells) {
      const take = Math.min(n, perCell - inCell);
      counts.set(state, (counts.get(state) ?? 0) + take);
      inCell += take;
      n -= take;
      if (inCell === perCell) flush();
    }
  }
  if (inCell > 0 && out.length < cells) flush();
  while (out.length < cells) out.push('.');
  return out.join('');
}

/** The pages a map stands for (its groups summed), without expanding it; the Run validator's own count. */
export function rlePages(rle: string): number {
  const counted = rlePageCount(rle, Number.MAX_SAFE_INTEGER);
  return counted.ok ? counted.pages : 0;
}
