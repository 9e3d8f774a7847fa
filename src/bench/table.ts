// The bench's figures as terminal tables. Numbers go through src/report/units.ts; sub-millisecond
// figures are printed as microsecond counts (the unit is in the column header) so they stay readable.
import Table from 'cli-table3';
import { formatBytes, formatCount, formatMs } from '../report/units.js';
import { goalRows } from './goals.js';
import type { BenchResults } from './result.js';

const us = (ms: number): string => formatCount(Math.round(ms * 1000));
const ms = (v: number | null): string => (v === null ? '—' : formatMs(v));

function table(head: string[], rows: string[][]): string {
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const r of rows) t.push(r);
  return t.toString();
}

function holderName(h: { totalBytes: number; mappings: number; hint: string }): string {
  return `${formatBytes(h.totalBytes)}${h.hint === 'hugepage' ? ' THP' : ''}${h.mappings > 1 ? ` in ${h.mappings} maps` : ''}`;
}

export function renderTables(r: BenchResults): string {
  const out: string[] = [];
  out.push(`rsslab bench (${r.profile}) on ${r.machine.hostname}: ${r.machine.kernel}, ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${formatBytes(r.machine.memTotalBytes)}`);
  out.push(`load average at start ${r.loadAverage.start.map((x) => x.toFixed(2)).join(' ')}, at end ${r.loadAverage.end.map((x) => x.toFixed(2)).join(' ')} (a shared machine: figures are indicative)`);
  if (r.reproduce.length > 0) {
    out.push('', 'Time to reproduce (effect visible):');
    out.push(
      table(
        ['case', 'effect after cause', 'since spawn', 'whole run', 'kernel pace (est.)', 'speed-up', 'knobs restored'],
        r.reproduce.map((c) => [
          `${c.experiment}/${c.variant}`,
          ms(c.effectAfterPhaseMs),
          ms(c.effectSinceSpawnMs),
          formatMs(c.runWallMs),
          c.kernelPace ? formatMs(c.kernelPace.estimatedMs) : 'immediate',
          c.speedUp === null ? '—' : `${formatCount(c.speedUp)}×`,
          c.knobsRestored ? 'yes' : 'NO',
        ]),
      ),
    );
  }
  if (r.sampler.length > 0) {
    out.push('', 'Sampler (µs per sample; rates in Hz; jitter at the 20 ms default):');
    out.push(
      table(
        ['child', 'VMAs', 'probe', 'median µs', 'p99 µs', 'CPU µs', 'raw read CPU µs', 'CPU ratio', 'max Hz', 'Hz at 2 ms', 'jitter p50 µs', 'jitter p99 µs'],
        r.sampler.map((s) => [
          holderName(s.holder),
          String(s.holder.vmaCount),
          s.mode === 'fast' ? 'status' : s.mode === 'full' ? 'smaps_rollup' : 'smaps+region',
          us(s.backToBack.costMs.median),
          us(s.backToBack.costMs.p99),
          us(s.backToBack.cpuPerSampleMs),
          us(s.raw.cpuPerReadMs),
          `${s.cpuRatio.toFixed(2)}×`,
          formatCount(Math.round(s.backToBack.maxRateHz)),
          formatCount(Math.round(s.atMinInterval.achievedHz)),
          us(s.atDefaultInterval.jitterP50Ms),
          us(s.atDefaultInterval.jitterP99Ms),
        ]),
      ),
    );
  }
  if (r.addon.figures.length > 0) {
    out.push('', `Addon overhead: seed-004 page-by-page MADV_DONTNEED loop, Region.advise from JS vs C (${r.addon.compiler ?? 'cc'} -O2):`);
    out.push(
      table(
        ['region', 'calls', 'JS median', 'batched median', 'C median', 'JS µs/call', 'C µs/call', 'ratio JS/C', 'ratio batched/C', 'empty call ns', 'floor JS/C'],
        r.addon.figures.map((a) => [
          holderName({ totalBytes: a.regionBytes, mappings: 1, hint: a.hint }),
          formatCount(a.calls),
          formatMs(a.jsMs.median),
          formatMs(a.batchedMs.median),
          formatMs(a.cMs.median),
          formatCount(a.jsPerCallUs),
          formatCount(a.cPerCallUs),
          `${a.ratio.toFixed(2)}×`,
          `${a.batchedRatio.toFixed(3)}×`,
          formatCount(Math.round(a.crossingNs)),
          `${a.floorRatio.toFixed(3)}×`,
        ]),
      ),
    );
    out.push('Each side per repeat (medians): wall ms, CPU ms of its whole process, TLB shootdown IPIs on the machine during the loop; "C, N threads" is the same C loop with idle threads like this Node process:');
    out.push(
      table(
        ['region', 'side', 'threads', 'wall', 'CPU', 'TLB IPIs', 'wall ratio to C', 'CPU ratio to C'],
        r.addon.figures.flatMap((a) => {
          const name = holderName({ totalBytes: a.regionBytes, mappings: 1, hint: a.hint });
          const tlb = (x: number | null): string => (x === null ? '—' : formatCount(Math.round(x)));
          const row = (label: string, threads: number, s: typeof a.sides.c, wall: string, cpu: string): string[] => [name, label, String(threads), formatMs(s.ms.median), formatMs(s.cpuMs), tlb(s.tlbShootdowns), wall, cpu];
          return [
            row('C (the seed)', 1, a.sides.c, '1', '1'),
            row('C, idle threads', a.nodeThreads, a.sides.cThreaded, '', ''),
            row('JS loop', a.nodeThreads, a.sides.js, `${a.ratio.toFixed(2)}×`, `${a.cpuRatio.toFixed(2)}×`),
            row('batched', a.nodeThreads, a.sides.batched, `${a.batchedRatio.toFixed(3)}× (${a.batchedThreadedRatio.toFixed(3)}× to C with threads)`, `${a.batchedCpuRatio.toFixed(3)}×`),
          ];
        }),
      ),
    );
  }
  if (r.pageMap.length > 0) {
    out.push('', 'Page map of one region (ms): PageMapReader with the native classifier, the JS decode, and the same reads in C:');
    out.push(
      table(
        ['region', 'source', 'native median', 'native p99', 'native CPU', 'JS median', 'JS CPU', 'C pread median', 'C whole median', 'C CPU', 'native/pread', 'same pages', 'pages r / H', 'kpageflags entries native / C', 'floor: pagemap / PAGEMAP_SCAN'],
        r.pageMap.map((p) => [
          holderName(p.holder),
          p.source,
          formatCount(p.native.durationMs.median),
          formatCount(p.native.durationMs.p99),
          formatCount(p.native.cpuPerMapMs),
          formatCount(p.js.durationMs.median),
          formatCount(p.js.cpuPerMapMs),
          p.raw ? formatCount(p.raw.preadMs.median) : '—',
          p.raw ? formatCount(p.raw.durationMs.median) : '—',
          p.raw ? formatCount(p.raw.cpuPerMapMs) : '—',
          p.ratio === null ? '—' : `${p.ratio.toFixed(2)}×`,
          p.identical ? 'yes' : 'NO',
          `${formatCount(p.pages.resident)} / ${formatCount(p.pages.huge)}`,
          p.nativeKpageflags ? `${formatCount(p.nativeKpageflags.entries)} / ${p.raw ? formatCount(p.raw.kpageflagsEntries) : '—'}` : '—',
          p.raw?.pagemapMs ? `${p.raw.pagemapMs.median.toFixed(1)} / ${p.raw.scanMs ? p.raw.scanMs.median.toFixed(2) : '—'}` : '—',
        ]),
      ),
    );
  }
  if (r.report) {
    const rep = r.report;
    out.push('', `One HTML report (${rep.run.experiment}, ${rep.run.variants} variants, ${formatCount(rep.run.samples)} samples, ${rep.run.pageMaps} page maps):`);
    out.push(
      table(
        ['report', 'rendered in', 'chart bundle', 'inlined (deflated)', 'full ECharts build'],
        [[formatBytes(rep.reportBytes), formatMs(rep.renderMs), formatBytes(rep.bundleBytes), formatBytes(rep.inlinedLibraryBytes), rep.fullEchartsBytes === null ? '—' : formatBytes(rep.fullEchartsBytes)]],
      ),
    );
  }
  if (r.longReport) {
    const l = r.longReport;
    out.push('', `A long watch's report (${formatCount(l.samplesFed)} samples at ${l.intervalMs} ms through WatchSamples and the sample log, then the HTML writer):`);
    out.push(
      table(
        ['samples logged', 'kept', 'fed in', 'written in', 'report', 'opened, drawn (median)', 'first open', 'DOMContentLoaded'],
        [[
          formatCount(l.samplesLogged),
          formatCount(l.samplesKept),
          formatMs(l.feedMs),
          formatMs(l.writeMs),
          formatBytes(l.reportBytes),
          l.open ? formatMs(l.open.drawnMs.median) : `skipped: ${l.openSkipped ?? ''}`,
          l.open ? formatMs(l.open.firstDrawnMs) : '—',
          l.open ? formatMs(l.open.domContentLoadedMs.median) : '—',
        ]],
      ),
    );
  }
  const goals = goalRows(r);
  if (goals.length > 0) {
    out.push('', 'Goals, each against its reference measured in this run:');
    out.push(table(['figure', 'rsslab', 'reference', 'ratio', 'goal', 'met'], goals.map((g) => [g.figure, g.ours, g.reference, g.ratio === null ? '—' : `${g.ratio.toFixed(2)}×`, g.goal, g.met === null ? '—' : g.met ? 'yes' : 'NO'])));
  }
  for (const s of r.skipped) out.push(`skipped ${s.bench}: ${s.reason}`);
  for (const e of r.errors) out.push(`FAILED ${e.bench} (${e.what}): ${e.message}`);
  return out.join('\n');
}
