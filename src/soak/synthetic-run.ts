// A valid Run built in memory, of any length: the base the hostile-Run soak mutates and the feed of
// the long-run tests (a day of samples without waiting a day). Its samples follow a real shape — RSS
// rises as a 64 MiB region is touched, falls at a free, and wanders with a slow sawtooth — so every
// renderer has marks, regions, page maps and expectations to draw.
import { RUN_SCHEMA, RUN_SCHEMA_VERSION, type Run, type Sample, type VariantRun } from '../run/schema.js';

const MiB = 1 << 20;

export interface SyntheticRunOptions {
  samples: number;
  intervalMs?: number;
  variants?: number;
}

/** The i-th sample of a synthetic variant: a touch, a free, and a sawtooth with a spike every 997 samples. */
export function syntheticSample(i: number, intervalMs = 20, variant = 0): Sample {
  const n = i % 4000;
  const region = n < 1000 ? (n / 1000) * 64 * MiB : n < 3000 ? 64 * MiB : 0;
  const saw = ((i * 7919) % 1000) * 4096;
  const spike = i % 997 === 0 ? 32 * MiB : 0;
  const rss = 48 * MiB + region + saw + spike + variant * MiB;
  return {
    tMs: i * intervalMs,
    rssBytes: rss,
    pssBytes: rss - 8 * MiB,
    anonBytes: rss - 40 * MiB,
    anonHugeBytes: n >= 2000 && n < 3000 ? 32 * MiB : 0,
    lazyFreeBytes: 0,
    swapBytes: 0,
    regions: { main: { sizeBytes: 64 * MiB, rssBytes: region, anonHugeBytes: 0, lazyFreeBytes: 0, swapBytes: 0 } },
    memFreeBytes: 20_000 * MiB - rss,
  };
}

function variantRun(index: number, samples: Sample[], intervalMs: number): VariantRun {
  const end = samples[samples.length - 1]?.tMs ?? 0;
  return {
    variant: `v${index}`,
    label: `variant ${index}`,
    description: 'a synthetic variant',
    repeat: 0,
    status: 'ok',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: end,
    settings: { thp: { enabled: 'madvise', defrag: 'madvise', scanSleepMs: 10000, pagesToScan: 4096, maxPtesNone: 511, fullScans: 0, pagesCollapsed: 0 }, knobs: [], env: {}, nodeArgs: [], thpDisable: false, allocator: null, cgroup: null, skippedSettings: [] },
    marks: [
      { tMs: 0, phase: 'touch', label: 'touch 64 MiB' },
      { tMs: Math.min(end, 1000 * intervalMs), phase: 'hold', label: 'hold' },
      { tMs: Math.min(end, 3000 * intervalMs), phase: 'free', label: 'free' },
      { tMs: end, phase: 'end', label: 'end' },
    ],
    samples,
    reports: [{ tMs: end, phase: 'end', values: { 'alloc.live': 0 } }],
    pageMaps: [
      { tMs: 0, phase: 'touch', region: 'main', pageSize: 4096, source: 'pagemap', pages: '16384.' },
      { tMs: end, phase: 'end', region: 'main', pageSize: 4096, source: 'pagemap', pages: '8192r8192.' },
    ],
    sampler: { intervalMs, count: samples.length, achievedHz: 1000 / intervalMs, costMeanMs: 0.2, costP99Ms: 1, jitterP50Ms: 0.1, jitterP99Ms: 1 },
    expectations: [
      { id: 'peak', text: 'the region is touched', left: 'rss@max', op: '>=', right: 64 * MiB, status: 'held', leftValue: null, rightValue: null },
      { id: 'fast', text: 'needs a fast khugepaged', left: 'anonHuge@max', op: '>', right: 0, requires: ['speedUp'], status: 'skipped', leftValue: null, rightValue: null, reason: 'not sped up' },
    ],
    metrics: { 'rss@max': null },
  };
}

export function syntheticRun(o: SyntheticRunOptions): Run {
  const intervalMs = o.intervalMs ?? 20;
  const variants: VariantRun[] = [];
  for (let v = 0; v < (o.variants ?? 1); v++) {
    const samples: Sample[] = [];
    for (let i = 0; i < o.samples; i++) samples.push(syntheticSample(i, intervalMs, v));
    variants.push(variantRun(v, samples, intervalMs));
  }
  return {
    schema: RUN_SCHEMA,
    schemaVersion: RUN_SCHEMA_VERSION,
    rsslabVersion: '0.0.0-synthetic',
    kind: 'experiment',
    experiment: {
      id: 'synthetic',
      title: 'a synthetic run',
      seed: null,
      summary: 'Built in memory to test the readers.',
      story: [{ phase: 'touch', title: 'Touch', text: 'Every page is written once.' }],
      params: { sizeBytes: 64 * MiB },
      profile: 'quick',
      headline: [{ metric: 'rss@max', label: 'peak RSS' }],
      series: ['anonHuge'],
    },
    machine: {
      hostname: 'synthetic',
      kernel: '6.0',
      arch: 'x64',
      cpus: 2,
      memTotalBytes: 24 * 1024 * MiB,
      pageSize: 4096,
      hugePageSize: 2 * MiB,
      root: true,
      thp: { enabled: 'madvise', defrag: 'madvise', scanSleepMs: 10000, pagesToScan: 4096, maxPtesNone: 511, fullScans: 0, pagesCollapsed: 0 },
      cgroup: { version: null, memoryControllerPath: null, writable: false },
      features: { madvFree: true, madvCollapse: true, madvCold: true, madvPageout: true, pagemap: true },
      allocators: [{ name: 'glibc', library: null, version: '2.36' }],
      node: process.version,
    },
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: o.samples * intervalMs,
    command: ['rsslab', 'synthetic'],
    variants,
    skipped: [],
    systemLog: [],
  };
}
