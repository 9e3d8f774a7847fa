// NativeThread: one long-lived native thread (seed 000's "same-thread" shape). Its mallocs land in
// an arena of its own, not the main arena, and what it frees stays in that arena.
import { describe, it, expect } from 'vitest';
import { BlockSet, mallocInfo } from '../../src/core/heap.js';
import { NativeThread } from '../../src/core/workload.js';

const MiB = 1 << 20;
const arenaBytes = () => {
  const info = mallocInfo();
  const main = info.arenas.find((a) => a.id === 0)?.systemCurrent ?? 0;
  const others = info.arenas.filter((a) => a.id !== 0).reduce((s, a) => s + a.systemCurrent, 0);
  return { main, others, count: info.arenas.length };
};

describe('NativeThread', () => {
  it('NativeThread - allocations land in a thread arena, not the main one, and its frees stay there', () => {
    const t = new NativeThread();
    const set = new BlockSet();
    const before = arenaBytes();
    t.allocate(set, { count: 16_000, minSize: 1024, maxSize: 3072, seed: 7 });
    const after = arenaBytes();
    expect(set.liveBytes).toBeGreaterThan(28 * MiB);
    expect(after.others - before.others).toBeGreaterThan(28 * MiB);
    expect(after.main - before.main).toBeLessThan(8 * MiB);
    const freed = t.freeEvery(set, 2);
    expect(freed).toBeGreaterThan(12 * MiB);
    const info = mallocInfo();
    const threadFree = info.arenas.filter((a) => a.id !== 0).reduce((s, a) => s + a.restBytes + a.fastBytes, 0);
    expect(threadFree).toBeGreaterThan(10 * MiB);
    expect(t.freeAll(set)).toBeGreaterThan(12 * MiB);
    expect(set.count).toBe(0);
    t.stop();
    expect(t.running).toBe(false);
  });

  it('NativeThread - use after stop throws ERR_RSSLAB_UNMAPPED; bad arguments throw before any work', () => {
    const t = new NativeThread();
    const set = new BlockSet();
    expect(() => t.allocate(set, { count: -1, minSize: 1, maxSize: 2 })).toThrow(RangeError);
    expect(() => t.allocate({} as BlockSet, { count: 1, minSize: 1, maxSize: 2 })).toThrow(TypeError);
    expect(() => t.freeEvery(set, 0)).toThrow(RangeError);
    // found by the soak's fuzz: null options read as null.start (an undocumented TypeError)
    expect(() => t.freeEvery(set, 2, null as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    t.stop();
    t.stop(); // idempotent
    expect(() => t.allocate(set, { count: 1, minSize: 8, maxSize: 8 })).toThrow(expect.objectContaining({ code: 'ERR_RSSLAB_UNMAPPED' }));
  });

  it('BlockSet.freeAll - drops the set’s own index so count starts again at 0', () => {
    const set = new BlockSet();
    set.allocate({ count: 1000, minSize: 16, maxSize: 32 });
    expect(set.count).toBe(1000);
    set.freeAll();
    expect(set.count).toBe(0);
    expect(set.liveBytes).toBe(0);
    set.allocate({ count: 10, minSize: 16, maxSize: 16 });
    expect(set.count).toBe(10);
    expect(set.freeRange(0, 10)).toBe(160);
  });
});
