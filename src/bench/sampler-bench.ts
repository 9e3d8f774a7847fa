// How much the sampler costs and how fast it can go, read from a child holding memory: back to back
// (the ceiling: one core doing nothing else) and through the real Sampler at 2 ms and 20 ms (what
// its duty-cycle cap lets through, and how late ticks fire against their deadlines).
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

export async function benchSampler(h: Holder, mode: ProbeMode, profile: BenchProfile): Promise<SamplerFigures> {
  const { probe, take } = openProbe(h, mode);
  try {
    for (let i = 0; i < 3; i++) take(); // open files, warm the parser's code paths
    const costs: number[] = [];
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    while (costs.length < profile.minSamples || performance.now() - start < profile.backToBackMs) {
      const t0 = performance.now();
      take();
      costs.push(performance.now() - t0);
    }
    const elapsedMs = performance.now() - start;
    const cpu = cpuMs(cpu0);
    const costMs = summarize(costs);
    if (!costMs) throw new Error('no samples taken');
    const atMinInterval = await scheduled(take, MIN_INTERVAL_MS, profile.scheduleMs);
    const atDefaultInterval = await scheduled(take, DEFAULT_INTERVAL_MS, profile.scheduleMs);
    return {
      holder: holderFacts(h),
      mode,
      backToBack: { costMs, cpuPerSampleMs: cpu / costs.length, maxRateHz: (costs.length * 1000) / elapsedMs },
      atMinInterval,
      atDefaultInterval,
    };
  } finally {
    probe.close();
  }
}
