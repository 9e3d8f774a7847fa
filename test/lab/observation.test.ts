// The one observation core (src/lab/observation.ts) that the experiments' children and `rsslab watch`
// both go through, on real processes: a C program that maps, touches and unmaps 64 MiB, and sleep(1).
import { describe, it, expect, beforeAll } from 'vitest';
import { execa } from 'execa';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { buildMapFree } from '../helpers/map-free.js';
import { Observation } from '../../src/lab/observation.js';
import { AllSamples } from '../../src/lab/sample-store.js';
import { WatchSamples } from '../../src/lab/watch-samples.js';
import { watch } from '../../src/lab/watch.js';
import { runExperiment } from '../../src/experiment-source.js';
import { newVariantRun } from '../../src/run/new-variant-run.js';
import type { Sample } from '../../src/run/schema.js';

const MiB = 1 << 20;
// empty when there is no C compiler: those tests skip and say so
let bin = '';
beforeAll(async () => {
  bin = (await buildMapFree()) ?? '';
});

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('observation (one core for experiments and watch)', () => {
  it('observation - follows a C program to its exit: 64 MiB up and down, its boundaries sampled in full, the schedule ends once /proc is gone', async (ctx) => {
    if (!bin) {
      console.warn('skipped: no C compiler (cc/gcc) to build the reproducer');
      ctx.skip();
    }
    const originMs = performance.now();
    const child = execa(bin, ['64', '300'], { stdout: 'pipe', reject: false });
    const store = new AllSamples();
    let gone = 0;
    let told = 0;
    const obs = new Observation({
      pid: child.pid!,
      originMs,
      intervalMs: 10,
      probe: { thp: false, memFree: false, cgroupPath: null },
      store,
      onSample: () => {
        told++;
      },
      onGone: () => gone++,
    });
    obs.start();
    const marked: Array<{ line: string; sample: Sample | null }> = [];
    createInterface({ input: child.stdout! }).on('line', (line) => marked.push({ line, sample: obs.mark(performance.now() - originMs) }));
    await child;
    for (let i = 0; i < 50 && gone === 0; i++) await sleepMs(10);
    const stats = obs.close();

    expect(gone).toBe(1);
    expect(obs.stop()).toBe(stats); // stopping again keeps the first figures
    const samples = store.samples();
    expect(store.count).toBe(samples.length);
    expect(told).toBe(samples.length);
    // the tick that found the process gone is counted but holds no sample
    expect(stats.count - (samples.length - marked.length)).toBeGreaterThanOrEqual(0);
    expect(stats.count - (samples.length - marked.length)).toBeLessThanOrEqual(1);
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.tMs).toBeGreaterThanOrEqual(samples[i - 1]!.tMs);
    const first = samples[0]!.rssBytes;
    const peak = Math.max(...samples.map((s) => s.rssBytes));
    expect(peak - first).toBeGreaterThan(60 * MiB);
    expect(peak - samples[samples.length - 1]!.rssBytes).toBeGreaterThan(60 * MiB);

    expect(marked.map((m) => m.line)).toEqual(['touched 64 MiB', 'unmapped']);
    const [touched, unmapped] = marked.map((m) => m.sample!);
    // a boundary's sample is a full one (smaps_rollup: PSS), stored in its place among the others
    expect(touched!.pssBytes).not.toBeNull();
    expect(samples).toContain(touched);
    expect(touched!.rssBytes - first).toBeGreaterThan(60 * MiB);
    expect(touched!.rssBytes - unmapped!.rssBytes).toBeGreaterThan(60 * MiB);
    // a boundary after the process is gone has nothing to read, and stores nothing
    expect(obs.mark(performance.now() - originMs)).toBeNull();
    expect(store.count).toBe(samples.length);
  });

  it('observation - after the schedule ends a boundary is still sampled, and a thinning store keeps it whole', async () => {
    const originMs = performance.now();
    const child = execa('sleep', ['2'], { reject: false });
    const kept = new WatchSamples(null, 2);
    const obs = new Observation({ pid: child.pid!, originMs, intervalMs: 5, probe: { thp: false, memFree: false, cgroupPath: null }, store: kept });
    obs.start();
    await sleepMs(600);
    const stats = obs.stop();
    const scheduled = kept.count;
    expect(scheduled).toBe(stats.count);
    expect(scheduled).toBeGreaterThan(2 * 9); // more than two buckets can hold
    const atEnd = obs.mark(performance.now() - originMs);
    expect(atEnd).not.toBeNull();
    expect(atEnd!.pssBytes).not.toBeNull();
    expect(obs.stop()).toBe(stats);
    expect(obs.last).toBe(atEnd);
    expect(kept.count).toBe(scheduled + 1);
    expect(kept.samples()).toContain(atEnd);
    expect(kept.samples().length).toBeLessThan(kept.count);
    obs.close();
    child.kill();
    await child;
  });

  it('run record - a watched program and an experiment give Runs of the same fields in the same order', async (ctx) => {
    if (!bin) {
      console.warn('skipped: no C compiler (cc/gcc) to build the reproducer');
      ctx.skip();
    }
    const watched = await watch({ command: [bin, '8', '100'], intervalMs: 10 });
    const experiment = await runExperiment('madv-free', { quick: true, variants: ['dontneed'], interactive: false });
    const envelope = ['schema', 'schemaVersion', 'rsslabVersion', 'kind', 'experiment', 'machine', 'startedAt', 'durationMs', 'command', 'variants', 'skipped', 'systemLog'];
    expect(Object.keys(watched)).toEqual(envelope);
    expect(Object.keys(experiment)).toEqual(envelope);
    const fresh = Object.keys(newVariantRun({ variant: 'v', label: 'v', description: '', repeat: 0 }, experiment.variants[0]!.settings));
    // an experiment's variant also names its subject (replay or real); a watched one has none
    expect(Object.keys(watched.variants[0]!)).toEqual(fresh);
    expect(Object.keys(experiment.variants[0]!).filter((k) => k !== 'subject')).toEqual(fresh);
    expect(watched.variants[0]!.startedAt).toBe(watched.startedAt);
  }, 120_000);
});
