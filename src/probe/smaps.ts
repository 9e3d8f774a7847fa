// /proc/<pid>/smaps_rollup (the process's totals) and /proc/<pid>/smaps (one entry per mapping).
// LazyFree is where MADV_FREE shows (seed 003: RSS stays, LazyFree grows); AnonHugePages is where
// THP and khugepaged show (seed 004). One read of smaps serves every tagged region: reading it
// makes the kernel walk the page tables of every mapping, which is the costly part of a sample.
import path from 'node:path';
import { KIB, optional, parseColonLines, required } from './fields.js';
import { KeyTable, scanKeyLines, scanSmapsBytes } from './kib-lines.js';
import { ProcFile, processGone, readText } from './procfile.js';

export interface SmapsRollup {
  rssBytes: number;
  pssBytes: number;
  pssAnonBytes: number | null;
  pssFileBytes: number | null;
  pssShmemBytes: number | null;
  anonBytes: number | null;
  /** MADV_FREE'd pages not yet reclaimed: counted in RSS until memory pressure (Linux 4.12+) */
  lazyFreeBytes: number | null;
  /** anonymous memory mapped by huge PMDs (THP); PTE-mapped parts of a huge folio do not count */
  anonHugeBytes: number | null;
  privateCleanBytes: number | null;
  privateDirtyBytes: number | null;
  sharedCleanBytes: number | null;
  sharedDirtyBytes: number | null;
  swapBytes: number | null;
  swapPssBytes: number | null;
  lockedBytes: number | null;
}

export interface SmapsEntry {
  start: bigint;
  end: bigint;
  perms: string; // "rw-p"
  pathname: string; // "" for anonymous memory, "[heap]", a file path...
  sizeBytes: number;
  kernelPageSizeBytes: number | null;
  rssBytes: number;
  pssBytes: number | null;
  anonBytes: number | null;
  anonHugeBytes: number | null;
  lazyFreeBytes: number | null;
  privateDirtyBytes: number | null;
  swapBytes: number | null;
  /** THPeligible: whether a huge page could back this mapping now (VM_HUGEPAGE, THP mode, alignment) */
  thpEligible: boolean | null;
  /** two-letter flags, e.g. "hg" after MADV_HUGEPAGE, "nh" after MADV_NOHUGEPAGE */
  vmFlags: string[];
}

/** A tagged region's figures summed over every mapping that overlaps it. */
export interface SmapsRangeFigures {
  sizeBytes: number; // the region's own size, as tagged
  rssBytes: number;
  anonHugeBytes: number;
  lazyFreeBytes: number;
  swapBytes: number;
  /** how many mappings overlap the region: madvise(MADV_HUGEPAGE) on part of it splits one into several */
  mappings: number;
  /**
   * bytes of those mappings that lie outside the region: when the kernel merged the region with an
   * adjacent anonymous mapping of the same flags, its figures include that neighbour's pages
   */
  outsideBytes: number;
}

export function parseSmapsRollup(text: string): SmapsRollup {
  if (text === '') throw new Error('smaps_rollup text is empty (an exited process reads empty)');
  const f = parseColonLines(text);
  const what = 'smaps_rollup';
  return {
    rssBytes: required(f, 'Rss', what),
    pssBytes: required(f, 'Pss', what),
    pssAnonBytes: optional(f, 'Pss_Anon'),
    pssFileBytes: optional(f, 'Pss_File'),
    pssShmemBytes: optional(f, 'Pss_Shmem'),
    anonBytes: optional(f, 'Anonymous'),
    lazyFreeBytes: optional(f, 'LazyFree'),
    anonHugeBytes: optional(f, 'AnonHugePages'),
    privateCleanBytes: optional(f, 'Private_Clean'),
    privateDirtyBytes: optional(f, 'Private_Dirty'),
    sharedCleanBytes: optional(f, 'Shared_Clean'),
    sharedDirtyBytes: optional(f, 'Shared_Dirty'),
    swapBytes: optional(f, 'Swap'),
    swapPssBytes: optional(f, 'SwapPss'),
    lockedBytes: optional(f, 'Locked'),
  };
}

/** Header lines start with a lowercase hex address; field lines start with an uppercase name. */
function isHeaderStart(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102);
}

/**
 * Calls `visit` for each mapping of an smaps text with its start/end as numbers (exact below 2^53,
 * which covers every user-space address; only [vsyscall] is above) and the offsets of its header and
 * body, so callers parse only the mappings they want.
 */
function scanSmaps(text: string, visit: (start: number, end: number, header: number, body: number, bodyEnd: number) => void): void {
  let pending: { start: number; end: number; header: number; body: number } | null = null;
  let pos = 0;
  const length = text.length;
  while (pos < length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = length;
    if (isHeaderStart(text.charCodeAt(pos))) {
      if (pending) visit(pending.start, pending.end, pending.header, pending.body, pos);
      const dash = text.indexOf('-', pos);
      const space = text.indexOf(' ', dash);
      pending = { start: parseInt(text.slice(pos, dash), 16), end: parseInt(text.slice(dash + 1, space), 16), header: pos, body: nl + 1 };
    }
    pos = nl + 1;
  }
  if (pending) visit(pending.start, pending.end, pending.header, pending.body, length);
}

function parseEntry(text: string, header: number, body: number, bodyEnd: number): SmapsEntry {
  const headerLine = text.slice(header, body - 1);
  const [range = '', perms = ''] = headerLine.split(' ', 2);
  const dash = range.indexOf('-');
  // the pathname is everything after the 5th field (range perms offset dev inode); it may contain spaces
  let at = 0;
  for (let field = 0; field < 5; field++) {
    while (at < headerLine.length && headerLine.charCodeAt(at) !== 32) at++;
    while (at < headerLine.length && headerLine.charCodeAt(at) === 32) at++;
  }
  const pathname = headerLine.slice(at).trimEnd();
  const f = parseColonLines(text, body, bodyEnd);
  const what = 'an smaps entry';
  const flagsAt = text.indexOf('VmFlags:', body);
  let vmFlags: string[] = [];
  if (flagsAt !== -1 && flagsAt < bodyEnd) {
    let nl = text.indexOf('\n', flagsAt);
    if (nl === -1 || nl > bodyEnd) nl = bodyEnd;
    vmFlags = text.slice(flagsAt + 8, nl).trim().split(' ').filter((flag) => flag !== '');
  }
  const eligible = f.get('THPeligible');
  return {
    start: BigInt('0x' + range.slice(0, dash)),
    end: BigInt('0x' + range.slice(dash + 1)),
    perms,
    pathname,
    sizeBytes: required(f, 'Size', what),
    kernelPageSizeBytes: optional(f, 'KernelPageSize'),
    rssBytes: required(f, 'Rss', what),
    pssBytes: optional(f, 'Pss'),
    anonBytes: optional(f, 'Anonymous'),
    anonHugeBytes: optional(f, 'AnonHugePages'),
    lazyFreeBytes: optional(f, 'LazyFree'),
    privateDirtyBytes: optional(f, 'Private_Dirty'),
    swapBytes: optional(f, 'Swap'),
    thpEligible: eligible === undefined ? null : eligible === 1,
    vmFlags,
  };
}

/** Every mapping of an smaps text, in address order. */
export function parseSmaps(text: string): SmapsEntry[] {
  const out: SmapsEntry[] = [];
  scanSmaps(text, (_s, _e, header, body, bodyEnd) => out.push(parseEntry(text, header, body, bodyEnd)));
  return out;
}

/** For each address, the mapping that contains it (start <= address < end), or null. One pass over the text. */
export function findSmapsEntries(text: string, addresses: readonly bigint[]): Array<SmapsEntry | null> {
  const out: Array<SmapsEntry | null> = addresses.map(() => null);
  const targets = addresses.map(Number);
  scanSmaps(text, (start, end, header, body, bodyEnd) => {
    let parsed: SmapsEntry | null = null;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i] as number;
      if (t >= start && t < end) {
        parsed ??= parseEntry(text, header, body, bodyEnd);
        const a = addresses[i] as bigint;
        // confirm with exact arithmetic: numbers above 2^53 ([vsyscall]) are rounded
        if (a >= parsed.start && a < parsed.end) out[i] = parsed;
      }
    }
  });
  return out;
}

/** The mapping that starts at, or contains, `address`; null when no mapping does. */
export function parseSmapsEntry(text: string, address: bigint): SmapsEntry | null {
  return findSmapsEntries(text, [address])[0] ?? null;
}

/**
 * Figures for each region [address, address + sizeBytes), summed over the mappings that overlap it,
 * in one pass. A region with no mapping (unmapped) gets zeros and mappings = 0.
 */
export function findSmapsRanges(text: string, ranges: ReadonlyArray<{ address: bigint; sizeBytes: number }>): SmapsRangeFigures[] {
  const out: SmapsRangeFigures[] = ranges.map((r) => ({ sizeBytes: r.sizeBytes, rssBytes: 0, anonHugeBytes: 0, lazyFreeBytes: 0, swapBytes: 0, mappings: 0, outsideBytes: 0 }));
  const lows = ranges.map((r) => Number(r.address));
  const highs = ranges.map((r) => Number(r.address) + r.sizeBytes);
  scanSmaps(text, (start, end, header, body, bodyEnd) => {
    let parsed: SmapsEntry | null = null;
    for (let i = 0; i < out.length; i++) {
      const low = lows[i] as number;
      const high = highs[i] as number;
      if (start < high && end > low) {
        parsed ??= parseEntry(text, header, body, bodyEnd);
        const figures = out[i] as SmapsRangeFigures;
        figures.rssBytes += parsed.rssBytes;
        figures.anonHugeBytes += parsed.anonHugeBytes ?? 0;
        figures.lazyFreeBytes += parsed.lazyFreeBytes ?? 0;
        figures.swapBytes += parsed.swapBytes ?? 0;
        figures.mappings += 1;
        figures.outsideBytes += Math.max(0, low - start) + Math.max(0, end - high);
      }
    }
  });
  return out;
}

/** Process totals as smaps_rollup reports them, summed from the entries of a full smaps text. */
export interface SmapsTotals {
  rssBytes: number;
  pssBytes: number;
  anonBytes: number;
  lazyFreeBytes: number;
  anonHugeBytes: number;
  swapBytes: number;
}

/**
 * Totals and region figures from one smaps text. Reading smaps_rollup as well would make the kernel
 * walk every page table a second time (measured: ~16 ms per GiB of small pages), so when smaps is
 * read anyway the totals are summed here. Rss, Anonymous, LazyFree, AnonHugePages and Swap sum to the
 * rollup's exactly; Pss may fall short by under 1 kB per mapping (each entry's Pss is truncated to kB).
 */
export function summariseSmaps(text: string, ranges: ReadonlyArray<{ address: bigint; sizeBytes: number }>): { totals: SmapsTotals; ranges: SmapsRangeFigures[] } {
  const totals: SmapsTotals = { rssBytes: 0, pssBytes: 0, anonBytes: 0, lazyFreeBytes: 0, anonHugeBytes: 0, swapBytes: 0 };
  const out: SmapsRangeFigures[] = ranges.map((r) => ({ sizeBytes: r.sizeBytes, rssBytes: 0, anonHugeBytes: 0, lazyFreeBytes: 0, swapBytes: 0, mappings: 0, outsideBytes: 0 }));
  const lows = ranges.map((r) => Number(r.address));
  const highs = ranges.map((r) => Number(r.address) + r.sizeBytes);
  const entry: SmapsTotals = { rssBytes: 0, pssBytes: 0, anonBytes: 0, lazyFreeBytes: 0, anonHugeBytes: 0, swapBytes: 0 };
  scanSmaps(text, (start, end, _header, body, bodyEnd) => {
    entry.rssBytes = entry.pssBytes = entry.anonBytes = entry.lazyFreeBytes = entry.anonHugeBytes = entry.swapBytes = 0;
    let pos = body;
    while (pos < bodyEnd) {
      let nl = text.indexOf('\n', pos);
      if (nl === -1 || nl > bodyEnd) nl = bodyEnd;
      const colon = text.indexOf(':', pos);
      if (colon !== -1 && colon < nl) {
        // only the six fields a sample needs; the first letters rule out most lines without a slice
        const c = text.charCodeAt(pos);
        if (c === 82 /* R */ || c === 80 /* P */ || c === 65 /* A */ || c === 76 /* L */ || c === 83 /* S */) {
          const key = text.slice(pos, colon);
          const field = key === 'Rss' ? 'rssBytes' : key === 'Pss' ? 'pssBytes' : key === 'Anonymous' ? 'anonBytes' : key === 'LazyFree' ? 'lazyFreeBytes' : key === 'AnonHugePages' ? 'anonHugeBytes' : key === 'Swap' ? 'swapBytes' : null;
          if (field !== null) entry[field] = parseInt(text.slice(colon + 1, nl), 10) * KIB;
        }
      }
      pos = nl + 1;
    }
    totals.rssBytes += entry.rssBytes;
    totals.pssBytes += entry.pssBytes;
    totals.anonBytes += entry.anonBytes;
    totals.lazyFreeBytes += entry.lazyFreeBytes;
    totals.anonHugeBytes += entry.anonHugeBytes;
    totals.swapBytes += entry.swapBytes;
    for (let i = 0; i < out.length; i++) {
      const low = lows[i] as number;
      const high = highs[i] as number;
      if (start < high && end > low) {
        const figures = out[i] as SmapsRangeFigures;
        figures.rssBytes += entry.rssBytes;
        figures.anonHugeBytes += entry.anonHugeBytes;
        figures.lazyFreeBytes += entry.lazyFreeBytes;
        figures.swapBytes += entry.swapBytes;
        figures.mappings += 1;
        figures.outsideBytes += Math.max(0, low - start) + Math.max(0, end - high);
      }
    }
  });
  return { totals, ranges: out };
}

/** The six figures a sample takes from smaps and smaps_rollup, in this order. */
const SAMPLE_KEYS = new KeyTable(['Rss', 'Pss', 'Anonymous', 'LazyFree', 'AnonHugePages', 'Swap']);
const RSS = 0;
const PSS = 1;
const ANON = 2;
const LAZY = 3;
const ANON_HUGE = 4;
const SWAP = 5;

/** smaps_rollup's figures a sample needs; null for a field this kernel does not print. */
export interface RollupTotals {
  rssBytes: number;
  pssBytes: number;
  anonBytes: number | null;
  lazyFreeBytes: number | null;
  anonHugeBytes: number | null;
  swapBytes: number | null;
}

/** The sample's fields of smaps_rollup text in buf[0, length), without making strings (see kib-lines.ts). */
export function parseRollupBytes(buf: Uint8Array, length: number, scratch = new Float64Array(6)): RollupTotals {
  scratch.fill(-1);
  scanKeyLines(buf, 0, length, SAMPLE_KEYS, scratch);
  const value = (i: number): number | null => ((scratch[i] as number) < 0 ? null : (scratch[i] as number));
  const rss = value(RSS);
  const pss = value(PSS);
  if (rss === null || pss === null) throw new Error(`smaps_rollup: no "${rss === null ? 'Rss' : 'Pss'}" field; is this really smaps_rollup text from a Linux kernel?`);
  return { rssBytes: rss, pssBytes: pss, anonBytes: value(ANON), lazyFreeBytes: value(LAZY), anonHugeBytes: value(ANON_HUGE), swapBytes: value(SWAP) };
}

/** summariseSmaps() over the bytes of smaps in buf[0, length): the same totals and ranges, no strings. */
export function summariseSmapsBytes(buf: Uint8Array, length: number, ranges: ReadonlyArray<{ address: bigint; sizeBytes: number }>): { totals: SmapsTotals; ranges: SmapsRangeFigures[] } {
  const totals: SmapsTotals = { rssBytes: 0, pssBytes: 0, anonBytes: 0, lazyFreeBytes: 0, anonHugeBytes: 0, swapBytes: 0 };
  const out: SmapsRangeFigures[] = ranges.map((r) => ({ sizeBytes: r.sizeBytes, rssBytes: 0, anonHugeBytes: 0, lazyFreeBytes: 0, swapBytes: 0, mappings: 0, outsideBytes: 0 }));
  const lows = ranges.map((r) => Number(r.address));
  const highs = ranges.map((r) => Number(r.address) + r.sizeBytes);
  const entry = new Float64Array(6);
  scanSmapsBytes(buf, length, (start, end, body, bodyEnd) => {
    entry.fill(0);
    scanKeyLines(buf, body, bodyEnd, SAMPLE_KEYS, entry);
    totals.rssBytes += entry[RSS] as number;
    totals.pssBytes += entry[PSS] as number;
    totals.anonBytes += entry[ANON] as number;
    totals.lazyFreeBytes += entry[LAZY] as number;
    totals.anonHugeBytes += entry[ANON_HUGE] as number;
    totals.swapBytes += entry[SWAP] as number;
    for (let i = 0; i < out.length; i++) {
      const low = lows[i] as number;
      const high = highs[i] as number;
      if (start < high && end > low) {
        const figures = out[i] as SmapsRangeFigures;
        figures.rssBytes += entry[RSS] as number;
        figures.anonHugeBytes += entry[ANON_HUGE] as number;
        figures.lazyFreeBytes += entry[LAZY] as number;
        figures.swapBytes += entry[SWAP] as number;
        figures.mappings += 1;
        figures.outsideBytes += Math.max(0, low - start) + Math.max(0, end - high);
      }
    }
  });
  return { totals, ranges: out };
}

function procPath(root: string, pid: number | 'self', file: string): string {
  return path.join(root, 'proc', String(pid), file);
}

export function readSmapsRollup(pid: number | 'self', root = '/'): SmapsRollup {
  const file = procPath(root, pid, 'smaps_rollup');
  const text = readText(file);
  if (text === '') throw processGone(file);
  return parseSmapsRollup(text);
}

export function readSmapsEntries(pid: number | 'self', addresses: readonly bigint[], root = '/'): Array<SmapsEntry | null> {
  const file = procPath(root, pid, 'smaps');
  const text = readText(file);
  if (text === '') throw processGone(file);
  return findSmapsEntries(text, addresses);
}

/** Kept-open smaps/smaps_rollup files of one process, for a sampler. */
export class SmapsReader {
  private readonly rollup: ProcFile;
  private readonly smaps: ProcFile;

  private readonly scratch = new Float64Array(6);

  constructor(pid: number | 'self', root = '/') {
    this.rollup = new ProcFile(procPath(root, pid, 'smaps_rollup'), 4096, { singleRecord: true });
    this.smaps = new ProcFile(procPath(root, pid, 'smaps'), 256 * 1024);
  }

  readRollup(): SmapsRollup {
    const text = this.rollup.read();
    if (text === '') throw processGone(this.rollup.path);
    return parseSmapsRollup(text);
  }

  /** What a sample takes from smaps_rollup: one pread on the kept fd, parsed from the bytes. */
  readRollupTotals(): RollupTotals {
    const length = this.rollup.readBytes();
    if (length === 0) throw processGone(this.rollup.path);
    return parseRollupBytes(this.rollup.bytes, length, this.scratch);
  }

  readRanges(ranges: ReadonlyArray<{ address: bigint; sizeBytes: number }>): SmapsRangeFigures[] {
    const text = this.smaps.read();
    if (text === '') throw processGone(this.smaps.path);
    return findSmapsRanges(text, ranges);
  }

  /** Totals and regions from one read of smaps (one page-table walk instead of two). */
  readSummary(ranges: ReadonlyArray<{ address: bigint; sizeBytes: number }>): { totals: SmapsTotals; ranges: SmapsRangeFigures[] } {
    const length = this.smaps.readBytes();
    if (length === 0) throw processGone(this.smaps.path);
    return summariseSmapsBytes(this.smaps.bytes, length, ranges);
  }

  readEntries(addresses: readonly bigint[]): Array<SmapsEntry | null> {
    const text = this.smaps.read();
    if (text === '') throw processGone(this.smaps.path);
    return findSmapsEntries(text, addresses);
  }

  close(): void {
    this.rollup.close();
    this.smaps.close();
  }
}
