// One faiss IndexIVFFlat cycle replayed as its allocations (native/train-cycle.cc), on the real
// allocator: the three thread shapes of seed 000 (a long-lived thread that runs cycles in turn, a
// fresh thread per cycle, the calling thread), allocations and frees on the cycle's own thread, an
// OpenMP helper that lives as long as its thread, and glibc's arenas growing with the pool size
// until MALLOC_ARENA_MAX caps them.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { detectAllocator } from '../../src/core/allocator.js';
import { trainCycle, type TrainCycleSpec } from '../../src/core/train-cycle.js';
import { NativeThread } from '../../src/core/workload.js';

const MiB = 1 << 20;
// 20k × 32 floats: a 2.4 MiB training array; sizes small enough for a test, shape as in faiss
const SMALL: TrainCycleSpec = { rows: 20_000, dim: 32, nlist: 16, team: 2, queries: 100, nprobe: 4 };
const glibc = detectAllocator().name === 'glibc';

function arenasChild(threads: number, env: Record<string, string> = {}): { before: number; after: number; tids: number[] } {
  const out = execFileSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/core/children/train-cycle-arenas.ts', String(threads)], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { before: number; after: number; tids: number[] };
}

describe('trainCycle', () => {
  it('pool shape - cycle k runs on thread k mod N: N distinct tids, each cycle allocated and freed on its own thread, one helper per thread for life', () => {
    const pool = [new NativeThread(), new NativeThread()];
    const runs = [1, 2, 3, 4].map((k) => pool[(k - 1) % 2]!.trainCycle({ ...SMALL, seed: k }));
    for (const t of pool) t.stop();
    const tids = runs.map((r) => r.tid);
    expect(new Set(tids).size).toBe(2);
    expect(tids[0]).toBe(tids[2]);
    expect(tids[1]).toBe(tids[3]);
    expect(tids[0]).not.toBe(process.pid);
    for (const r of runs) expect(r.freeTid).toBe(r.tid);
    // the OpenMP stand-in: started by the thread's first cycle, the same one for its later cycles
    expect(runs[0]!.helperTid).toBeGreaterThan(0);
    expect(runs[2]!.helperTid).toBe(runs[0]!.helperTid);
    expect(runs[1]!.helperTid).not.toBe(runs[0]!.helperTid);
    // the training array (20k × 32 floats) and the lists were live together
    for (const r of runs) expect(r.peakBytes).toBeGreaterThan(2 * 20_000 * 32 * 4);
    expect(runs[0]!.allocations).toBeGreaterThan(100);
  });

  it('fresh shape - a new thread per cycle: every cycle on a different tid, and a new helper each time (the team dies with its thread)', () => {
    const runs = [1, 2, 3].map((k) => {
      const t = new NativeThread();
      try {
        return t.trainCycle({ ...SMALL, seed: k });
      } finally {
        t.stop();
      }
    });
    expect(new Set(runs.map((r) => r.tid)).size).toBe(3);
    expect(new Set(runs.map((r) => r.helperTid)).size).toBe(3);
    for (const r of runs) expect(r.freeTid).toBe(r.tid);
  });

  it('main shape - trainCycle runs on the calling thread (the JS thread: tid = pid)', () => {
    const r = trainCycle({ ...SMALL, team: 1 });
    expect(r.tid).toBe(process.pid);
    expect(r.freeTid).toBe(process.pid);
    expect(r.helperTid).toBe(0);
  });

  it('everything is freed: a 51 MB training array is munmapped (above glibc\'s 32 MiB mmap cap), RSS does not keep it', () => {
    const rss = (): number => process.memoryUsage().rss;
    const before = rss();
    const r = trainCycle({ rows: 200_000, dim: 64, nlist: 64, team: 1, iterations: 2 });
    expect(r.peakBytes).toBeGreaterThan(51_200_000);
    expect(rss() - before).toBeLessThan(40 * MiB);
  });

  it.skipIf(!glibc)('glibc - arenas grow with the pool size (each thread and its helper get one) and MALLOC_ARENA_MAX=2 caps them', () => {
    const two = arenasChild(2);
    const four = arenasChild(4);
    const capped = arenasChild(4, { MALLOC_ARENA_MAX: '2' });
    expect(new Set(four.tids).size).toBe(4);
    expect(four.after - four.before).toBeGreaterThan(two.after - two.before);
    expect(four.after - four.before).toBeGreaterThanOrEqual(4);
    expect(capped.after).toBeLessThanOrEqual(2);
  });

  it('bad specs throw before any work: TypeError for a non-object or non-number, RangeError out of range', () => {
    expect(() => trainCycle(null as unknown as TrainCycleSpec)).toThrow(TypeError);
    expect(() => trainCycle({ ...SMALL, rows: '10' as unknown as number })).toThrow(TypeError);
    expect(() => trainCycle({ ...SMALL, rows: 0 })).toThrow(RangeError);
    expect(() => trainCycle({ ...SMALL, team: 17 })).toThrow(RangeError);
    expect(() => trainCycle({ ...SMALL, dim: 1.5 })).toThrow(RangeError);
    const t = new NativeThread();
    t.stop();
    expect(() => t.trainCycle(SMALL)).toThrow(/stopped/);
  });
});
