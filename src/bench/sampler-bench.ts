// How much the sampler costs and how fast it can go, read from a child holding memory: back to back
// (the ceiling: one core doing nothing else) and through the real Sampler at 2 ms and 20 ms (what
// its duty-cycle cap lets through, and how late ticks fire against their deadlines). Back to back,
// each sample alternates with the raw read of the same file of the same child (a kept fd, pread at
// offset 0 into a reused Buffer, no parsing): the kernel's own cost, against which a sample is judged.
import { closeSync, openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SamplerStats } from '../run/schema.js';
import { SampleProbe } from '../probe/sample.js';
import { DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS, Sampler } from '../lab/sampler.js';
import type { Holder } from './holder.js';
import type { BenchProfile } from './profile.js';
import { summarize, type Summary } from './stats.js';

/** 'fast': /proc/<pid>/status; 'full': smaps_rollup (process totals); 'region': smaps with one region tagged. */
export type ProbeMode = 'fast' | 'full' | 'region';
export const PROBE_MODES: readonly ProbeMode[] = ['fast', 'full', 'region'];

export interface HolderFacts {
  totalBytes: number;
  mappings: number;
  hint: 'none' | 'hugepage';
  rssBytes: number;
  anonHugeBytes: number;
  vmaCount: number;
}

export interface ScheduledFigures extends SamplerStats {
  /** parent CPU (user + system: the kernel's page-table walk is charged to the reader) per sample */
  cpuPerSampleMs: number;
}

export interface SamplerFigures {
  holder: HolderFacts;
  mode: ProbeMode;
  backToBack: {
    costMs: Summary;
    cpuPerSampleMs: number;
    /** samples per second with nothing but sampling on one core */
    maxRateHz: number;
  };
  /** the same file read raw, alternating with the samples above */
  raw: { file: string; costMs: Summary; cpuPerReadMs: number };
  /** sample CPU / raw read CPU, and the same for the wall-clock medians */
  cpuRatio: number;
  wallRatio: number;
  /** the Sampler asked for MIN_INTERVAL_MS: its duty cap (50%) decides the rate */
  atMinInterval: ScheduledFigures;
  atDefaultInterval: ScheduledFigures;
}

export function holderFacts(h: Holder): HolderFacts {
  return { totalBytes: h.spec.totalBytes, mappings: h.spec.mappings, hint: h.spec.hint, rssBytes: h.rssBytes, anonHugeBytes: h.anonHugeBytes, vmaCount: h.vmaCount };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

function openProbe(h: Holder, mode: ProbeMode): { probe: SampleProbe; take: () => void } {
  const first = h.regions[0];
  if (mode === 'region' && !first) throw new Error('holder has no region to tag');
  const probe = new SampleProbe(h.pid, mode === 'region' && first ? { regions: { main: { address: first.address, sizeBytes: first.lengthBytes } } } : {});
  const take = mode === 'fast' ? () => void probe.take('fast') : () => void probe.take('full');
  return { probe, take };
}

async function scheduled(take: () => void, intervalMs: number, durationMs: number): Promise<ScheduledFigures> {
  const cpu0 = process.cpuUsage();
  const sampler = new Sampler({
    intervalMs,
    originMs: performance.now(),
    tick: () => {
      take();
      return true;
    },
  });
  sampler.start();
  await sleep(durationMs);
  const stats = sampler.stop();
  return { ...stats, cpuPerSampleMs: stats.count > 0 ? cpuMs(cpu0) / stats.count : 0 };
}

const RAW_FILE: Record<ProbeMode, string> = { fast: 'status', full: 'smaps_rollup', region: 'smaps' };

/** The minimal reader of one /proc file: kept fd, pread from offset 0 to EOF into a reused Buffer. */
function rawReader(pid: number, file: string): { read: () => number; close: () => void } {
  const fd = openSync(`/proc/${pid}/${file}`, 'r');
  let buf = Buffer.allocUnsafe(256 * 1024);
  // smaps_rollup and status are one record: one read returns all of it (as the probe reads them)
  const single = file !== 'smaps';
  return {
    read: () => {
      let length = 0;
      for (;;) {
        if (length === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
        const n = readSync(fd, buf, length, buf.length - length, length);
        length += n;
        if (n === 0 || single) return length;
      }
    },
    close: () => closeSync(fd),
  };
}

export async function benchSampler(h: Holder, mode: ProbeMode, profile: BenchProfile): Promise<SamplerFigures> {
  const { probe, take } = openProbe(h, mode);
  const raw = rawReader(h.pid, RAW_FILE[mode]);
  try {
    for (let i = 0; i < 3; i++) {
      take(); // open files, warm the parser's code paths
      raw.read();
    }
    const costs: number[] = [];
    const rawCosts: number[] = [];
    let cpu = 0;
    let rawCpu = 0;
    let elapsedMs = 0;
    const start = performance.now();
    while (costs.length < profile.minSamples || performance.now() - start < profile.backToBackMs) {
      let c0 = process.cpuUsage();
      let t0 = performance.now();
      take();
      const t1 = performance.now();
      cpu += cpuMs(c0);
      costs.push(t1 - t0);
      elapsedMs += t1 - t0;
      c0 = process.cpuUsage();
      t0 = performance.now();
      raw.read();
      rawCosts.push(performance.now() - t0);
      rawCpu += cpuMs(c0);
    }
    const costMs = summarize(costs);
    const rawMs = summarize(rawCosts);
    if (!costMs || !rawMs) throw new Error('no samples taken');
    const atMinInterval = await scheduled(take, MIN_INTERVAL_MS, profile.scheduleMs);
    const atDefaultInterval = await scheduled(take, DEFAULT_INTERVAL_MS, profile.scheduleMs);
    return {
      holder: holderFacts(h),
      mode,
      backToBack: { costMs, cpuPerSampleMs: cpu / costs.length, maxRateHz: (costs.length * 1000) / elapsedMs },
      raw: { file: RAW_FILE[mode], costMs: rawMs, cpuPerReadMs: rawCpu / rawCosts.length },
      cpuRatio: rawCpu > 0 ? cpu / rawCpu : Number.NaN,
      wallRatio: costMs.median / rawMs.median,
      atMinInterval,
      atDefaultInterval,
    };
  } finally {
    probe.close();
    raw.close();
  }
}
