// How large a stored page map may claim to be. "999999999r" is ten bytes of a Run file and a billion
// pages once expanded: a 35 KB file of such groups exhausted the heap of `rsslab report`. Counting
// the groups costs one pass over the text and no memory, so a map is sized (and refused when it
// claims more pages than its region has) before anything expands it.

/** Pages one map may hold whatever its region: 256 GiB of 4 KiB pages. */
const PAGES_PER_MAP = 2 ** 26;
/** Pages all the maps of one Run may hold together. */
const PAGES_PER_RUN = 2 ** 30;

export function pageMapBudget(): { perMap: number; perRun: number } {
  return { perMap: PAGES_PER_MAP, perRun: PAGES_PER_RUN };
}

export type PageCount = { ok: true; pages: number } | { ok: false; reason: string };

/** The number of pages a run-length encoded map stands for, refusing past `limit` and anything that is not "<count><state>" groups. */
export function rlePageCount(rle: string, limit: number): PageCount {
  let pages = 0;
  let count = 0;
  let digits = 0;
  for (let i = 0; i < rle.length; i++) {
    const code = rle.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      count = count * 10 + (code - 48);
      if (++digits > 12) return { ok: false, reason: `a run of more than 12 digits at offset ${i - 12}` };
      continue;
    }
    // page states are letters or '.'
    if (!(code === 46 || (code >= 65 && code <= 90) || (code >= 97 && code <= 122))) {
      return { ok: false, reason: `character ${JSON.stringify(rle[i])} at offset ${i} is not a page state (letters and '.')` };
    }
    pages += digits === 0 ? 1 : count;
    if (pages > limit) return { ok: false, reason: `it claims more than ${limit} pages` };
    count = 0;
    digits = 0;
  }
  if (digits !== 0) return { ok: false, reason: 'it ends with a count and no page state' };
  return { ok: true, pages };
}
