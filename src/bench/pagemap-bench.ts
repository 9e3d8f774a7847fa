// The time to take one region's page map from a child holding it, small pages and THP-backed, side by
// side with the kernel's own cost of the same reads: PageMapReader with the addon's classifier (what
// the lab uses; PMD-mapped blocks cost it one kpageflags entry each), the JS decode it replaced (an
// entry per page: every round checks both give the same page string), and src/bench/pagemap-raw.c
// (one pagemap pread, kpageflags for every PFN in runs of sorted PFNs, no classification; plus the
// pagemap pread and a PAGEMAP_SCAN alone, the floor's parts) on the same region in the same minute.
// Rounds alternate the three, so a burst of load on the shared machine lands on all of them.
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { nativePageMapClassifier } from '../core/pagemap.js';
import { PageMapReader, countPages, type KpageflagsReads } from '../probe/pagemap.js';
import type { Holder } from './holder.js';
import { holderFacts, type HolderFacts } from './sampler-bench.js';
import { summarize, type Summary } from './stats.js';

export interface PageMapSide {
  /** every read, the first one included (it opens the files and sizes the buffers) */
  durationMs: Summary;
  /** CPU of the reading process per map (user + system: the kernel's walk is charged to the reader) */
  cpuPerMapMs: number;
}

export interface PageMapFigures {
  holder: HolderFacts;
  regionBytes: number;
  source: string;
  pages: ReturnType<typeof countPages>;
  /** PageMapReader + nativePageMapClassifier: what the lab takes */
  native: PageMapSide;
  /** PageMapReader's JS decode (before the addon classified) */
  js: PageMapSide;
  /** what the native classifier read from /proc/kpageflags for one map (PMD-mapped blocks: their head only) */
  nativeKpageflags: KpageflagsReads;
  /** pagemap-raw.c: the same reads in C, every PFN's entry (plus a sort of every PFN); null when no C compiler */
  raw:
    | (PageMapSide & {
        kpageflagsReads: number;
        kpageflagsEntries: number;
        preadMs: Summary;
        /** the floor's parts on their own: the pagemap pread (the only source of PFNs), and one PAGEMAP_SCAN over the range (null: no such ioctl) */
        pagemapMs: Summary;
        scanMs: Summary | null;
      })
    | null;
  /** median over rounds of native time / the time the C reader spent inside pread (the kernel's own cost) in the same round */
  ratio: number | null;
  /** native and JS gave the same page string */
  identical: boolean;
  /** kept for readers of v1 files: the native side's figures */
  durationMs: Summary;
  firstMs: number;
  cpuPerMapMs: number;
}

function timeReader(reader: PageMapReader, h: Holder, repeats: number, into: { ms: number[]; cpuMs: number }): string {
  const region = h.regions[0]!;
  let pages = '';
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    pages = reader.read(region.address, region.lengthBytes).pages;
    into.ms.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  into.cpuMs += (cpu.user + cpu.system) / 1000;
  return pages;
}

interface RawTimes {
  ms: number[];
  readMs: number[];
  pagemapMs: number[];
  scanMs: number[];
  cpuMs: number;
  reads: number;
  entries: number;
}

async function timeRaw(binary: string, h: Holder, repeats: number, into: RawTimes): Promise<void> {
  const region = h.regions[0]!;
  const r = await execa(binary, [String(h.pid), region.address.toString(16), String(region.lengthBytes), String(repeats)], { reject: false });
  if (r.failed) throw new Error(`${binary} failed (exit ${String(r.exitCode)}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { reads: number; entries: number; ns: number[]; readNs: number[]; cpuNs: number[]; pagemapNs: number[]; scanNs: number[] };
  // the process's first repeat faults its fresh buffers in; the reads alone are the later repeats
  into.ms.push(...out.ns.slice(1).map((ns) => ns / 1e6));
  into.readMs.push(...out.readNs.slice(1).map((ns) => ns / 1e6));
  into.cpuMs += out.cpuNs.slice(1).reduce((a, b) => a + b, 0) / 1e6;
  into.reads = out.reads;
  into.entries = out.entries;
  into.pagemapMs.push(...out.pagemapNs.slice(1).map((ns) => ns / 1e6));
  into.scanMs.push(...out.scanNs.slice(1).filter((ns) => ns >= 0).map((ns) => ns / 1e6));
}

const side = (s: { ms: number[]; cpuMs: number }): PageMapSide => {
  const durationMs = summarize(s.ms);
  if (!durationMs) throw new Error('no page map taken');
  return { durationMs, cpuPerMapMs: s.cpuMs / s.ms.length };
};

export async function benchPageMap(h: Holder, repeats: number, rawBinary: string | null): Promise<PageMapFigures> {
  const region = h.regions[0];
  if (!region) throw new Error('holder has no region');
  const nativeReader = new PageMapReader(h.pid, { classifier: nativePageMapClassifier });
  const jsReader = new PageMapReader(h.pid);
  const n = { ms: [] as number[], cpuMs: 0 };
  const j = { ms: [] as number[], cpuMs: 0 };
  const raw: RawTimes = { ms: [], readMs: [], pagemapMs: [], scanMs: [], cpuMs: 0, reads: 0, entries: 0 };
  const ratios: number[] = [];
  try {
    let nativePages = '';
    let jsPages = '';
    const t0 = performance.now();
    const source = nativeReader.read(region.address, region.lengthBytes).source; // opens the files, sizes the buffers
    const firstMs = performance.now() - t0;
    jsReader.read(region.address, region.lengthBytes);
    const rounds = Math.max(2, repeats * 2);
    for (let round = 0; round < rounds; round++) {
      if (rawBinary) await timeRaw(rawBinary, h, 2, raw);
      nativePages = timeReader(nativeReader, h, 1, n);
      jsPages = timeReader(jsReader, h, 1, j);
      if (rawBinary) ratios.push((n.ms[n.ms.length - 1] as number) / (raw.readMs[raw.readMs.length - 1] as number));
    }
    const nativeSide = side(n);
    const preadMs = summarize(raw.readMs);
    const pagemapMs = summarize(raw.pagemapMs);
    const rawSide = rawBinary && preadMs && pagemapMs ? { ...side(raw), kpageflagsReads: raw.reads, kpageflagsEntries: raw.entries, preadMs, pagemapMs, scanMs: summarize(raw.scanMs) } : null;
    return {
      holder: holderFacts(h),
      regionBytes: region.lengthBytes,
      source,
      pages: countPages(nativePages),
      native: nativeSide,
      js: side(j),
      nativeKpageflags: nativeReader.lastKpageflagsReads,
      raw: rawSide,
      ratio: summarize(ratios)?.median ?? null,
      identical: nativePages === jsPages,
      durationMs: nativeSide.durationMs,
      firstMs,
      cpuPerMapMs: nativeSide.cpuPerMapMs,
    };
  } finally {
    nativeReader.close();
    jsReader.close();
  }
}
