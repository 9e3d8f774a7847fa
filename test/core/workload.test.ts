// Native threads the way cgo runs C (PHENOMENA case 1): each fresh pthread gets its own glibc arena,
// so the freed memory of one workload sits in many arenas; MALLOC_ARENA_MAX caps that.
import { describe, expect, it } from 'vitest';
import { BlockSet, mallocInfo, mallocTrim } from '../../src/core/heap.js';
import { runOnThreads } from '../../src/core/workload.js';
import { MiB, mib, rssBytes, runChild } from './heap-helpers.js';

describe('runOnThreads', () => {
  it('runOnThreads - 8 fresh pthreads spread one block set over more than one arena', () => {
    const before = new Map(mallocInfo().arenas.map((a) => [a.id, a.systemCurrent]));
    const set = new BlockSet();
    const result = runOnThreads(set, { threads: 8, countPerThread: 5000, minSize: 64, maxSize: 2048, seed: 3 });
    const after = mallocInfo();
    const grown = after.arenas.filter((a) => a.systemCurrent - (before.get(a.id) ?? 0) >= 2 * MiB);
    console.info(`8 threads: ${mib(result.liveBytes)} live; arenas ${before.size} → ${after.arenas.length}, ${grown.length} grew by ≥ 2 MiB`);
    expect(result.threads).toBe(8);
    expect(set.liveCount).toBe(40_000);
    expect(result.liveBytes).toBe(set.liveBytes);
    expect(after.arenas.length).toBeGreaterThan(1);
    expect(grown.length).toBeGreaterThanOrEqual(2);
    set.freeAll();
  });

  it('runOnThreads - holes freed on the JS thread stay in every thread arena until malloc_trim walks them all', () => {
    mallocTrim(0);
    const set = new BlockSet();
    runOnThreads(set, { threads: 8, countPerThread: 1500, minSize: 8192, maxSize: 32768, seed: 4 });
    const rssAllocated = rssBytes();
    const freed = set.freeEvery(2);
    const rssFreed = rssBytes();
    const holding = mallocInfo().arenas.filter((a) => a.id !== 0 && a.restBytes >= freed / 8 / 4);
    mallocTrim(0);
    const rssTrimmed = rssBytes();
    console.info(`8 threads, 8..32 KiB blocks: freed ${mib(freed)}, ${holding.length} thread arenas hold ≥ ¼ of their share free; RSS ${mib(rssAllocated)} → ${mib(rssFreed)} after free → ${mib(rssTrimmed)} after malloc_trim(0)`);
    expect(holding.length).toBeGreaterThanOrEqual(4);
    expect(rssFreed).toBeGreaterThan(rssAllocated - 0.1 * freed);
    expect(rssFreed - rssTrimmed).toBeGreaterThan(0.4 * freed);
    set.freeAll();
    mallocTrim(0);
  });

  it('runOnThreads - MALLOC_ARENA_MAX=1 keeps every thread in the main arena (child process)', () => {
    type Report = { threads: number; arenasBefore: number; arenasAfter: number };
    const capped = runChild<Report>('heap-threads-arenas.mjs', { MALLOC_ARENA_MAX: '1' });
    const free = runChild<Report>('heap-threads-arenas.mjs', {});
    console.info(`arenas after 8 threads: ${free.arenasAfter} by default, ${capped.arenasAfter} with MALLOC_ARENA_MAX=1`);
    expect(capped.threads).toBe(8);
    expect(capped.arenasAfter).toBe(1);
    expect(free.arenasAfter).toBeGreaterThan(free.arenasBefore);
  });

  it('runOnThreads - validation: RangeError/TypeError naming the argument, nothing allocated', () => {
    const set = new BlockSet();
    const ok = { threads: 2, countPerThread: 10, minSize: 16, maxSize: 32 };
    expect(() => runOnThreads({} as BlockSet, ok)).toThrow(/set must be a BlockSet/);
    expect(() => runOnThreads(set, { ...ok, threads: 0 })).toThrow(/threads must be >= 1 and <= 256/);
    expect(() => runOnThreads(set, { ...ok, threads: 300 })).toThrow(RangeError);
    expect(() => runOnThreads(set, { ...ok, threads: 256, countPerThread: 2 ** 20 })).toThrow(/threads \* countPerThread/);
    expect(() => runOnThreads(set, { ...ok, minSize: 64 })).toThrow(/minSize must be <= maxSize/);
    expect(() => runOnThreads(set, { ...ok, seed: -1 })).toThrow(/seed must be >= 0/);
    expect(set.count).toBe(0);
  });
});
