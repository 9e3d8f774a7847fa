// The time to take one region's page map (PageMapReader: one pagemap pread for the range, then
// kpageflags in runs of sorted PFNs) from a child holding it, small pages and THP-backed.
import { performance } from 'node:perf_hooks';
import { PageMapReader, countPages } from '../probe/pagemap.js';
import type { Holder } from './holder.js';
import { holderFacts, type HolderFacts } from './sampler-bench.js';
import { summarize, type Summary } from './stats.js';

export interface PageMapFigures {
  holder: HolderFacts;
  regionBytes: number;
  source: string;
  pages: ReturnType<typeof countPages>;
  /** every read, the first one included (it opens the files and sizes the buffers) */
  durationMs: Summary;
  firstMs: number;
  /** parent CPU per map */
  cpuPerMapMs: number;
}

export function benchPageMap(h: Holder, repeats: number): PageMapFigures {
  const region = h.regions[0];
  if (!region) throw new Error('holder has no region');
  const reader = new PageMapReader(h.pid);
  try {
    const durations: number[] = [];
    let last: ReturnType<PageMapReader['read']> | null = null;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      last = reader.read(region.address, region.lengthBytes);
      durations.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    const durationMs = summarize(durations);
    if (!durationMs || !last) throw new Error('no page map taken');
    return {
      holder: holderFacts(h),
      regionBytes: region.lengthBytes,
      source: last.source,
      pages: countPages(last.pages),
      durationMs,
      firstMs: durations[0] ?? 0,
      cpuPerMapMs: (cpu.user + cpu.system) / 1000 / repeats,
    };
  } finally {
    reader.close();
  }
}
