// Parser for glibc's malloc_info(0) XML (malloc/malloc.c, __malloc_info). Pure: it takes the text, so
// fixtures captured on this machine test it. Per arena glibc reports its free chunks (fastbins and
// the rest) and what it holds from the kernel; mmapped chunks belong to no arena and appear only in
// the top-level totals, which is why a heap full of holes and a heap of mmaps look so different here.
import type { MallocArenaInfo, MallocInfo } from '../native.js';

export type { MallocArenaInfo, MallocInfo };

const HEAP_RE = /<heap nr="(\d+)">([\s\S]*?)<\/heap>/g;

function attr(tag: string, name: string): number {
  const m = new RegExp(`\\b${name}="(\\d+)"`).exec(tag);
  if (m?.[1] === undefined) throw new Error(`malloc_info: ${name}="…" missing in ${tag}`);
  return Number(m[1]);
}

/** The `<tag type="type" …/>` element directly in `body`, or undefined. */
function element(body: string, tag: string, type: string): string | undefined {
  return new RegExp(`<${tag} type="${type}"[^>]*/>`).exec(body)?.[0];
}

function figures(body: string, where: string) {
  const need = (tag: string, type: string): string => {
    const e = element(body, tag, type);
    if (e === undefined) throw new Error(`malloc_info: <${tag} type="${type}"> missing in ${where}`);
    return e;
  };
  const fast = need('total', 'fast');
  const rest = need('total', 'rest');
  return {
    fastCount: attr(fast, 'count'),
    fastBytes: attr(fast, 'size'),
    restCount: attr(rest, 'count'),
    restBytes: attr(rest, 'size'),
    systemCurrent: attr(need('system', 'current'), 'size'),
    systemMax: attr(need('system', 'max'), 'size'),
    aspaceBytes: attr(need('aspace', 'total'), 'size'),
  };
}

/** Parse malloc_info(0) output. Throws an Error naming the missing element on text that is not malloc_info XML. */
export function parseMallocInfo(xml: string): MallocInfo {
  if (!/^\s*<malloc version="1">/.test(xml)) throw new Error('malloc_info: expected <malloc version="1"> at the start');
  const arenas: MallocArenaInfo[] = [];
  for (const m of xml.matchAll(HEAP_RE)) {
    const id = Number(m[1]);
    const f = figures(m[2] ?? '', `<heap nr="${id}">`);
    arenas.push({ id, ...f, freeBlocks: f.fastCount + f.restCount });
  }
  // The totals follow the last </heap>; the per-heap elements must not be mistaken for them.
  const lastHeapEnd = xml.lastIndexOf('</heap>');
  const tail = lastHeapEnd < 0 ? xml : xml.slice(lastHeapEnd + '</heap>'.length);
  const mmap = element(tail, 'total', 'mmap');
  if (mmap === undefined) throw new Error('malloc_info: <total type="mmap"> missing in the totals');
  return { arenas, total: { ...figures(tail, 'the totals'), mmapCount: attr(mmap, 'count'), mmapBytes: attr(mmap, 'size') }, raw: xml };
}
