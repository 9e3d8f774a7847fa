// A region's page map, one character per page (PageMap in src/run/schema.ts), from
// /proc/<pid>/pagemap (one 64-bit entry per virtual page) and /proc/kpageflags (one per physical
// page frame). This is what shows *which* pages stay: seed 003's lazily freed pages ('L'), seed
// 004's huge pages refilled by khugepaged ('H').
//
// pagemap entry (Documentation/admin-guide/mm/pagemap.rst): bit 63 present, 62 swapped,
// bits 0-54 the PFN — reported as 0 to readers without CAP_SYS_ADMIN, and then kpageflags is not
// readable either, so the map has the present and swapped bits only (source 'pagemap').
//
// kpageflags: KPF_THP (22) is set on every page of a transparent huge folio, head and tails, and
// stays set on the pages left after a partial MADV_DONTNEED until the deferred split runs (seed 004:
// RSS fell but the memory did not come back). MADV_FREE clears PG_swapbacked on anonymous pages
// (mm/swap.c lru_lazyfree), so KPF_ANON (12) without KPF_SWAPBACKED (14) is a lazily freed page;
// checked on this machine's kernel (6.18): the fixture test/fixtures/proc/pagemap/lazy.* has 1023
// such pages and smaps says LazyFree 4092 kB for the same mapping.
import fs from 'node:fs';
import path from 'node:path';
import type { PageMap } from '../run/schema.js';
import { readPageSize } from './pagesize.js';

export const KPF_ANON = 1 << 12;
export const KPF_SWAPBACKED = 1 << 14;
export const KPF_HUGE = 1 << 17; // hugetlbfs
export const KPF_THP = 1 << 22;
export const KPF_ZERO_PAGE = 1 << 24;

const PRESENT = 0x80000000; // bit 63, in the high 32-bit word
const SWAPPED = 0x40000000; // bit 62
const PFN_HIGH_MASK = 0x7fffff; // PFN bits 32-54

const CH_ABSENT = 0x2e; // '.'
const CH_RESIDENT = 0x72; // 'r'
const CH_HUGE = 0x48; // 'H'
const CH_LAZY = 0x4c; // 'L'
const CH_SWAPPED = 0x73; // 's'

/**
 * PFNs this close (after sorting) are read in one run. Measured on this machine: one kpageflags entry
 * costs the kernel ~0.1-0.2 us, one pread ~1-2 us, so reading up to ~16 unneeded entries is cheaper
 * than another pread. (1 GiB of small pages came in 76k PFN jumps in virtual order: coalescing in
 * virtual order took 70k preads; sorted, 5k.)
 */
const RUN_GAP_PFNS = 16;

export type PageMapSource = PageMap['source'];

export interface PageMapResult {
  source: Extract<PageMapSource, 'pagemap+kpageflags' | 'pagemap'>;
  pageSize: number;
  pages: string;
}

/** Where kpageflags entries come from: the real file, or a fixture. Fills `count` 8-byte entries at byte `offset` of `into`. */
export interface KpageflagsSource {
  read(pfn: number, count: number, into: Buffer, offset: number): void;
}

/** Per-page character for a page's kpageflags (low 32 bits hold every flag we use). */
export function classifyFlags(flags: number): number {
  // the shared zero page backs reads of never-written anonymous memory: mapped, but it costs no memory
  if (flags & KPF_ZERO_PAGE) return CH_ABSENT;
  if ((flags & KPF_ANON) !== 0 && (flags & KPF_SWAPBACKED) === 0) return CH_LAZY;
  if (flags & (KPF_THP | KPF_HUGE)) return CH_HUGE;
  return CH_RESIDENT;
}

/** Reusable scratch space, so a sampler does not allocate per map. */
class Scratch {
  pfns = new Float64Array(0);
  sorted = new Float64Array(0);
  flags = Buffer.alloc(0);
  flagWords = new Uint32Array(0);
  out = Buffer.alloc(0);

  ensurePages(count: number): void {
    if (this.pfns.length < count) {
      this.pfns = new Float64Array(count);
      this.sorted = new Float64Array(count);
    }
    this.ensureOut(count);
  }

  ensureOut(count: number): void {
    if (this.out.length < count) this.out = Buffer.alloc(count);
  }

  ensureFlags(entries: number): void {
    if (this.flagWords.length < entries * 2) {
      const backing = new ArrayBuffer(entries * 8);
      this.flags = Buffer.from(backing);
      this.flagWords = new Uint32Array(backing);
    }
  }
}

/** Runs of sorted PFNs: [low, high] with at most RUN_GAP_PFNS missing between neighbours. */
function coalesce(sorted: Float64Array): { low: number[]; high: number[]; start: number[]; entries: number } {
  const low: number[] = [];
  const high: number[] = [];
  const start: number[] = [];
  let entries = 0;
  let i = 0;
  while (i < sorted.length) {
    const lo = sorted[i] as number;
    let hi = lo;
    i++;
    while (i < sorted.length && (sorted[i] as number) - hi <= RUN_GAP_PFNS) hi = sorted[i++] as number;
    low.push(lo);
    high.push(hi);
    start.push(entries);
    entries += hi - lo + 1;
  }
  return { low, high, start, entries };
}

/**
 * Decodes `pageCount` pagemap entries (8 bytes each, little-endian, at the start of `pagemap`) into
 * the PageMap page string. With a kpageflags source and real PFNs, resident pages are classified as
 * 'r', 'H' or 'L'; otherwise every present page is 'r'. kpageflags is read in runs of sorted PFNs:
 * a huge page is 512 consecutive PFNs, and the pages of one region mostly come from a few physical
 * stretches, so a 1 GiB region takes a handful of reads, not one per page.
 */
export function decodePageMap(pagemap: Uint8Array, pageCount: number, pageSize: number, flags: KpageflagsSource | null, scratch = new Scratch()): PageMapResult {
  if (pagemap.byteLength < pageCount * 8) {
    throw new RangeError(`pagemap buffer holds ${Math.floor(pagemap.byteLength / 8)} entries, ${pageCount} asked`);
  }
  scratch.ensurePages(pageCount);
  const words = pagemap.byteOffset % 4 === 0 ? new Uint32Array(pagemap.buffer, pagemap.byteOffset, pageCount * 2) : new Uint32Array(new Uint8Array(pagemap.subarray(0, pageCount * 8)).buffer) /* an aligned copy */;
  const { pfns, out } = scratch;
  let withPfn = 0;
  for (let i = 0; i < pageCount; i++) {
    const low = words[2 * i] as number;
    const high = words[2 * i + 1] as number;
    if (high & PRESENT) {
      const pfn = (high & PFN_HIGH_MASK) * 0x100000000 + low;
      pfns[i] = pfn;
      out[i] = CH_RESIDENT;
      if (pfn !== 0) scratch.sorted[withPfn++] = pfn;
    } else {
      pfns[i] = 0;
      out[i] = high & SWAPPED ? CH_SWAPPED : CH_ABSENT;
    }
  }
  if (withPfn === 0 || flags === null) {
    return { source: 'pagemap', pageSize, pages: out.toString('latin1', 0, pageCount) };
  }
  const runs = coalesce(scratch.sorted.subarray(0, withPfn).sort());
  scratch.ensureFlags(runs.entries);
  for (let r = 0; r < runs.low.length; r++) {
    const lo = runs.low[r] as number;
    flags.read(lo, (runs.high[r] as number) - lo + 1, scratch.flags, (runs.start[r] as number) * 8);
  }
  const flagWords = scratch.flagWords;
  let r = 0; // the run of the previous page: neighbours in virtual memory are mostly neighbours in PFNs
  for (let i = 0; i < pageCount; i++) {
    const pfn = pfns[i] as number;
    if (pfn === 0) continue;
    if (pfn < (runs.low[r] as number) || pfn > (runs.high[r] as number)) {
      let lo = 0;
      let hi = runs.low.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((runs.low[mid] as number) <= pfn) lo = mid;
        else hi = mid - 1;
      }
      r = lo;
    }
    const index = (runs.start[r] as number) + pfn - (runs.low[r] as number);
    out[i] = classifyFlags(flagWords[index * 2] as number);
  }
  return { source: 'pagemap+kpageflags', pageSize, pages: out.toString('latin1', 0, pageCount) };
}

function preadFully(fd: number, into: Buffer, offset: number, length: number, position: number, what: string): void {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, into, offset + done, length - done, position + done);
    if (n === 0) {
      // pagemap reads 0 bytes once its process has exited (or past the end of the address space)
      throw Object.assign(new Error(`${what}: short read at byte ${position + done} (${done} of ${length} bytes): has the process exited?`), { code: 'ESRCH' });
    }
    done += n;
  }
}

class KpageflagsFile implements KpageflagsSource {
  constructor(private readonly fd: number) {}
  read(pfn: number, count: number, into: Buffer, offset: number): void {
    preadFully(this.fd, into, offset, count * 8, pfn * 8, '/proc/kpageflags');
  }
}

/**
 * A decoder with the contract of decodePageMap over a real kpageflags descriptor: fills `out` with one
 * character per page, returns 1 when kpageflags classified them, 0 for present/swapped bits only.
 * The addon's (src/core/pagemap.ts) is handed in by the measuring side: this room reads files only.
 */
export type PageMapClassifier = (pagemap: Uint8Array, pageCount: number, kpageflagsFd: number, out: Uint8Array, scan?: PageMapScan) => 0 | 1;

/**
 * What lets a classifier ask the kernel which blocks are mapped by one PMD (PAGEMAP_SCAN, Linux 6.7+)
 * and read one kpageflags entry for each: the open pagemap and the range's start. `stats`, when
 * given, receives [kpageflags entries read, preads, blocks read by their head].
 */
export interface PageMapScan {
  pagemapFd: number;
  startAddress: bigint;
  stats?: Float64Array;
}

/** What the last native map read from /proc/kpageflags. */
export interface KpageflagsReads {
  entries: number;
  reads: number;
  /** blocks mapped by one PMD, classified from their head's entry */
  headOnlyBlocks: number;
}

export interface PageMapReaderOptions {
  root?: string;
  pageSize?: number;
  /** classify in native code (nativePageMapClassifier); default: the JS decode */
  classifier?: PageMapClassifier;
}

/** Keeps /proc/<pid>/pagemap and /proc/kpageflags open across maps; call close() when done. */
export class PageMapReader {
  readonly pid: number | 'self';
  readonly pageSize: number;
  private readonly root: string;
  private pagemapFd: number | null = null;
  private kpageflags: KpageflagsFile | null | undefined = undefined; // undefined: not tried yet
  private kpageflagsFd: number | null = null;
  private pagemap: Buffer = Buffer.alloc(0);
  private readonly scratch = new Scratch();
  private readonly classifier: PageMapClassifier | null;
  private readonly stats = new Float64Array(3);

  constructor(pid: number | 'self', options: PageMapReaderOptions = {}) {
    this.pid = pid;
    this.classifier = options.classifier ?? null;
    this.root = options.root ?? '/';
    this.pageSize = options.pageSize ?? readPageSize(this.root);
  }

  /** Whether PFNs and flags could be read (needs CAP_SYS_ADMIN); known after the first read(). */
  get hasKpageflags(): boolean {
    return this.kpageflags !== null && this.kpageflags !== undefined;
  }

  read(startAddress: bigint, lengthBytes: number): PageMapResult {
    if (typeof startAddress !== 'bigint' || startAddress < 0n) {
      throw new TypeError(`startAddress must be a non-negative bigint, got ${String(startAddress)}`);
    }
    if (startAddress % BigInt(this.pageSize) !== 0n) {
      throw new RangeError(`startAddress 0x${startAddress.toString(16)} is not aligned to the page size (${this.pageSize})`);
    }
    if (!Number.isSafeInteger(lengthBytes) || lengthBytes <= 0) {
      throw new RangeError(`lengthBytes must be a positive integer, got ${lengthBytes}`);
    }
    const pageCount = Math.ceil(lengthBytes / this.pageSize);
    if (this.pagemapFd === null) this.pagemapFd = fs.openSync(path.join(this.root, 'proc', String(this.pid), 'pagemap'), 'r');
    if (this.kpageflags === undefined) this.openKpageflags();
    if (this.pagemap.length < pageCount * 8) this.pagemap = Buffer.from(new ArrayBuffer(pageCount * 8));
    const position = Number(startAddress / BigInt(this.pageSize)) * 8;
    // one positioned read for the whole range: the kernel walks it in one go
    preadFully(this.pagemapFd, this.pagemap, 0, pageCount * 8, position, `/proc/${this.pid}/pagemap`);
    if (this.classifier !== null) {
      this.scratch.ensureOut(pageCount);
      this.stats.fill(0);
      const scan: PageMapScan = { pagemapFd: this.pagemapFd, startAddress, stats: this.stats };
      const used = this.classifier(this.pagemap, pageCount, this.kpageflagsFd ?? -1, this.scratch.out, scan);
      return { source: used === 1 ? 'pagemap+kpageflags' : 'pagemap', pageSize: this.pageSize, pages: this.scratch.out.toString('latin1', 0, pageCount) };
    }
    return decodePageMap(this.pagemap, pageCount, this.pageSize, this.kpageflags ?? null, this.scratch);
  }

  /** kpageflags entries and preads of the last read() with a classifier (zeros for the JS decode) */
  get lastKpageflagsReads(): KpageflagsReads {
    return { entries: this.stats[0] as number, reads: this.stats[1] as number, headOnlyBlocks: this.stats[2] as number };
  }

  private openKpageflags(): void {
    try {
      this.kpageflagsFd = fs.openSync(path.join(this.root, 'proc', 'kpageflags'), 'r');
      this.kpageflags = new KpageflagsFile(this.kpageflagsFd);
    } catch {
      // without CAP_SYS_ADMIN (or CONFIG_PROC_PAGE_MONITOR) the map falls back to present bits
      this.kpageflags = null;
    }
  }

  close(): void {
    for (const fd of [this.pagemapFd, this.kpageflagsFd]) {
      if (fd !== null) {
        try {
          fs.closeSync(fd);
        } catch {
          // nothing to do: the fd is gone either way
        }
      }
    }
    this.pagemapFd = null;
    this.kpageflagsFd = null;
    this.kpageflags = undefined;
  }
}

/** One-shot page map of [startAddress, startAddress + lengthBytes) in process `pid`. */
export function readPageMap(pid: number | 'self', startAddress: bigint, lengthBytes: number, options: PageMapReaderOptions = {}): PageMapResult {
  const reader = new PageMapReader(pid, options);
  try {
    return reader.read(startAddress, lengthBytes);
  } finally {
    reader.close();
  }
}

/** How many pages of each kind a page string holds, for tests and summaries. */
export function countPages(pages: string): Record<'absent' | 'resident' | 'huge' | 'lazy' | 'swapped', number> {
  const counts = { absent: 0, resident: 0, huge: 0, lazy: 0, swapped: 0 };
  for (let i = 0; i < pages.length; i++) {
    switch (pages.charCodeAt(i)) {
      case CH_ABSENT: counts.absent++; break;
      case CH_RESIDENT: counts.resident++; break;
      case CH_HUGE: counts.huge++; break;
      case CH_LAZY: counts.lazy++; break;
      case CH_SWAPPED: counts.swapped++; break;
    }
  }
  return counts;
}
