// The Go counterparts of seeds 003, 001 and 002 (counterparts/madv-free, runtime-heap, fragmentation), built
// with the machine's `go` and run by the runner as real subjects at small sizes, on the real kernel:
// each seed's own failure mode reproduced by the real Go runtime — RSS that stays after the runtime
// returned its heap with MADV_FREE, and the next batch OOM-killed when nothing collected the first —
// with the runtime's MemStats reported at every phase. Skipped when `go` is missing
// (apt-get install golang-go) or without root (memory cgroups). The machine is left as found.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/experiment-source.js';
import { findExecutable } from '../../src/lab/toolchain.js';
import { packageRoot } from '../../src/package-root.js';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { isRoot, machineState, metric, staleBuild, unheld, type MachineState, MiB, expectMachineAsBefore } from '../experiments/helpers-kernel.js';

const whySkip = !findExecutable('go', process.env.PATH)
  ? 'no go on PATH (apt-get install golang-go)'
  : !isRoot
    ? 'needs root: the pressure and next-batch variants run in memory cgroups'
    : (staleBuild('madv-free') ?? staleBuild('runtime-heap') ?? (existsSync(join(packageRoot(), 'dist', 'src', 'lab', 'exec-real.js')) ? null : 'dist/src/lab/exec-real.js is missing: run npx tsc'));
if (whySkip) console.warn(`skipping the Go counterpart tests: ${whySkip}`);

function real(run: Run, id: string): VariantRun {
  const v = run.variants.find((x) => x.variant === id && x.subject?.kind === 'real');
  if (!v) throw new Error(`no real run of ${run.experiment.id}/${id}: ${JSON.stringify(run.skipped)}`);
  expect(v.status, JSON.stringify(v.failure)).toBe('ok');
  expect(unheld(v).filter((line) => !line.startsWith('skipped'))).toEqual([]);
  return v;
}

describe.skipIf(whySkip !== null)('Go counterparts (skipped without go: apt-get install golang-go; real kernel, small sizes)', () => {
  let before: MachineState;
  let madv: Run;
  let heap: Run;
  let frag: Run;

  beforeAll(async () => {
    before = await machineState();
    const common = { quick: true, subjects: 'real' as const, tuneSystem: true, interactive: false, lockWaitMs: 15 * 60_000, command: ['vitest', 'test/counterparts/go-programs.test.ts'] };
    madv = await runExperiment('madv-free', { ...common, allVariants: true });
    // the idle claim is the replay's (V8's memory reducer); the real job only needs its two batches here
    heap = await runExperiment('runtime-heap', { ...common, variants: ['none', 'gc', 'gc-trim'], params: { idleMs: 1000 } });
    frag = await runExperiment('fragmentation', { ...common, variants: ['glibc-k10', 'glibc-k10-gc100', 'glibc-k10-pool'] });
  }, 900_000);

  afterAll(() => expectMachineAsBefore(before), 900_000);

  it('madv-free/go-heap - GODEBUG=madvdontneed=1: debug.FreeOSMemory drops RSS by the heap at once, nothing lazily freed', () => {
    const v = real(madv, 'dontneed');
    const heapBytes = Number(madv.experiment.params.regionBytes);
    expect(v.settings.env.GODEBUG).toBe('madvdontneed=1');
    expect(metric(v, 'metric.rssReturnedAtFreeBytes')).toBeGreaterThanOrEqual(0.95 * heapBytes);
    expect(metric(v, 'lazyFree@end:free')).toBeLessThan(1 * MiB);
    // the runtime counts the heap as released either way: HeapReleased says nothing about RSS
    expect(metric(v, 'go.heapReleased@end:free')).toBeGreaterThanOrEqual(0.95 * heapBytes);
  });

  it('madv-free/go-heap - GODEBUG=madvdontneed=0: the runtime releases its heap with MADV_FREE, RSS stays and LazyFree holds it, until reused spans cancel it', () => {
    const v = real(madv, 'free');
    const heapBytes = Number(madv.experiment.params.regionBytes);
    const writeBytes = Number(madv.experiment.params.writeBytes);
    expect(v.settings.env.GODEBUG).toBe('madvdontneed=0');
    expect(metric(v, 'go.heapReleased@end:free')).toBeGreaterThanOrEqual(0.95 * heapBytes);
    expect(metric(v, 'metric.rssReturnedAtFreeBytes')).toBeLessThan(0.05 * heapBytes);
    expect(metric(v, 'lazyFree@end:free')).toBeGreaterThanOrEqual(0.95 * heapBytes);
    expect(metric(v, 'metric.lazyFreeCancelledByWriteBytes')).toBeGreaterThanOrEqual(0.9 * writeBytes);
  });

  it('madv-free/go-heap - under a memory cgroup the kernel reclaims about what the pressure needs from the Go heap\'s LazyFree; never returned (GOGC=off), the same pressure is OOM-killed', () => {
    const free = real(madv, 'free-pressure');
    const needed = metric(free, 'metric.reclaimNeededBytes');
    expect(metric(free, 'metric.lazyFreeReclaimedBytes')).toBeGreaterThanOrEqual(0.8 * needed);
    expect(metric(free, 'metric.lazyFreeReclaimedBytes')).toBeLessThanOrEqual(1.3 * needed);
    expect(metric(free, 'metric.oomKills')).toBe(0);
    const none = real(madv, 'none');
    expect(none.settings.env.GOGC).toBe('off');
    // collected but kept: HeapIdle − HeapReleased is the whole heap, nothing lazily freed
    expect(metric(none, 'go.idleMinusReleased@end:free')).toBeGreaterThanOrEqual(0.9 * Number(madv.experiment.params.regionBytes));
    expect(metric(none, 'metric.oomKills')).toBeGreaterThanOrEqual(1);
    expect(metric(none, 'metric.killedBySignal')).toBe(1);
  });

  it('runtime-heap/go-batch - nothing between the batches: the next batch is OOM-killed; runtime.GC() or debug.FreeOSMemory(): it fits', () => {
    const none = real(heap, 'none');
    expect(metric(none, 'metric.oomKills')).toBeGreaterThanOrEqual(1);
    expect(none.marks.map((m) => m.phase)).toContain('next');
    for (const id of ['gc', 'gc-trim']) {
      const v = real(heap, id);
      expect(metric(v, 'metric.oomKills'), id).toBe(0);
      expect(metric(v, 'records@end:next'), id).toBe(metric(v, 'records@end:decode'));
      // Go's Alloc after the collection, as in the seed (11324 MiB -> 5 MiB)
      expect(metric(v, 'go.heapAlloc@end:release'), id).toBeLessThan(0.05 * metric(v, 'go.heapAlloc@end:decode'));
    }
    // runtime.GC() keeps Sys (the seed's 11996 MiB); FreeOSMemory returns it
    expect(metric(real(heap, 'gc'), 'rss@end:release')).toBeGreaterThanOrEqual(0.8 * metric(real(heap, 'gc'), 'rss@end:dropped'));
    expect(metric(real(heap, 'gc-trim'), 'rss@end:release')).toBeLessThan(0.2 * metric(real(heap, 'gc-trim'), 'rss@end:dropped'));
  });

  it('fragmentation/go-requests - 1 in 10 survivors keep spans in use (HeapInuse − HeapAlloc) and RSS far above live after FreeOSMemory; an arena for them lets it fall', () => {
    const scattered = real(frag, 'glibc-k10');
    expect(scattered.settings.env.GOGC).toBe('off');
    const live = metric(scattered, 'live@end:purged');
    expect(metric(scattered, 'layer.free@end:purged')).toBeGreaterThan(2 * live);
    expect(metric(scattered, 'metric.heldOverLive')).toBeGreaterThan(3);
    const collected = real(frag, 'glibc-k10-gc100');
    expect(collected.settings.env.GOGC).toBe('100');
    // collected as it goes, the heap reuses its freed slots: a fraction of the GOGC=off heap
    expect(metric(collected, 'rss@end:burst')).toBeLessThan(0.6 * metric(scattered, 'rss@end:burst'));
    const pooled = real(frag, 'glibc-k10-pool');
    expect(metric(pooled, 'layer.free@end:purged')).toBeLessThan(0.1 * live);
    expect(metric(pooled, 'metric.heldOverLive')).toBeLessThan(0.5 * metric(scattered, 'metric.heldOverLive'));
  });
});
