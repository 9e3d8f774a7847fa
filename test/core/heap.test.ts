// The C heap on the real kernel (PHENOMENA cases 1 and 3): freed blocks stay in glibc's free lists
// and in RSS; malloc_trim returns whole pages inside free chunks, never the small holes between live
// blocks. Sizes are chosen so each effect is tens of MiB, far above the noise of a shared machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlockSet, mallinfo2, mallocInfo, mallocTrim, mallopt, parseMallocInfo } from '../../src/core/heap.js';
import { binding } from '../../src/core/binding.js';
import { mib, rssBytes, runChild, runChildLimited } from './heap-helpers.js';

describe('BlockSet', () => {
  it('allocate - deterministic sizes within [minSize, maxSize] for a seed', () => {
    const a = new BlockSet();
    const b = new BlockSet();
    a.allocate({ count: 1000, minSize: 100, maxSize: 200, seed: 42 });
    b.allocate({ count: 1000, minSize: 100, maxSize: 200, seed: 42 });
    expect(a.count).toBe(1000);
    expect(a.liveCount).toBe(1000);
    expect(a.liveBytes).toBe(b.liveBytes);
    expect(a.liveBytes).toBeGreaterThanOrEqual(1000 * 100);
    expect(a.liveBytes).toBeLessThanOrEqual(1000 * 200);
    const c = new BlockSet();
    c.allocate({ count: 1000, minSize: 100, maxSize: 200, seed: 43 });
    expect(c.liveBytes).not.toBe(a.liveBytes);
    a.freeAll();
    b.freeAll();
    c.freeAll();
  });

  it('free - indexes are stable and bytes freed add up to liveBytes', () => {
    const set = new BlockSet();
    set.allocate({ count: 100, minSize: 64, maxSize: 64 });
    expect(set.freeEvery(2)).toBe(50 * 64);
    expect(set.freeEvery(2)).toBe(0); // the same indexes, already free
    expect(set.freeRange(0, 10)).toBe(5 * 64); // odd indexes 1,3,5,7,9
    expect(set.liveCount).toBe(45);
    set.allocate({ count: 10, minSize: 32, maxSize: 32 });
    expect(set.count).toBe(110);
    expect(set.freeEvery(3, { start: 100 })).toBe(4 * 32); // 100, 103, 106, 109
    expect(set.freeAll()).toBe(45 * 64 + 6 * 32);
    expect(set.liveBytes).toBe(0);
    expect(set.liveCount).toBe(0);
  });

  it('validation - RangeError/TypeError naming the argument, before any native call', () => {
    const set = new BlockSet();
    expect(() => set.allocate({ count: -1, minSize: 1, maxSize: 2 })).toThrow(/count must be >= 0/);
    expect(() => set.allocate({ count: 1, minSize: 0, maxSize: 2 })).toThrow(RangeError);
    expect(() => set.allocate({ count: 1, minSize: 9, maxSize: 2 })).toThrow(/minSize must be <= maxSize/);
    expect(() => set.allocate({ count: 1, minSize: 1, maxSize: 2 ** 31 })).toThrow(/maxSize must be >= 1 and <= 1073741824/);
    expect(() => set.allocate({ count: 1.5, minSize: 1, maxSize: 2 })).toThrow(/count must be an integer/);
    expect(() => set.allocate({ count: '3' as unknown as number, minSize: 1, maxSize: 2 })).toThrow(TypeError);
    expect(() => set.freeEvery(0)).toThrow(/k must be >= 1/);
    expect(() => set.freeRange(0, 1)).toThrow(/to <= count \(0\)/);
    expect(set.count).toBe(0);
  });

  it('native guards - bad arguments that bypass the JS checks throw, never crash', () => {
    const raw = new (binding().BlockSet)();
    expect(() => raw.allocate(1, 0, 2, 1)).toThrow(RangeError);
    expect(() => raw.allocate(-1, 1, 2, 1)).toThrow();
    expect(() => raw.freeEvery(0, 0)).toThrow(RangeError);
    expect(() => raw.freeRange(2, 1)).toThrow(RangeError);
    expect(() => binding().runOnThreads({} as never, 1, 1, 1, 1, 1)).toThrow(TypeError);
    expect(() => binding().mallopt('nope' as never, 1)).toThrow(/param must be one of mmapThreshold, trimThreshold, arenaMax, topPad/);
  });
});

describe('glibc heap on the real kernel', () => {
  it('freeEvery(2) of 200k small blocks - fordblks holds the freed bytes, RSS does not fall, malloc_trim cannot return the holes', () => {
    mallocTrim(0);
    const set = new BlockSet();
    set.allocate({ count: 200_000, minSize: 64, maxSize: 512, seed: 1 });
    const allocated = set.liveBytes;
    const rssAllocated = rssBytes();
    const freed = set.freeEvery(2);
    const rssFreed = rssBytes();
    const info = mallinfo2();
    mallocTrim(0);
    const rssTrimmed = rssBytes();
    console.info(`small blocks: allocated ${mib(allocated)}, freed ${mib(freed)}, fordblks ${mib(info.fordblks)}; RSS ${mib(rssAllocated)} → ${mib(rssFreed)} after free → ${mib(rssTrimmed)} after malloc_trim(0)`);
    expect(info.fordblks).toBeGreaterThanOrEqual(0.4 * allocated);
    expect(rssFreed).toBeGreaterThan(rssAllocated - 0.1 * freed);
    // 64..512 B chunks between live neighbours contain no whole page: nothing for trim to return.
    expect(rssTrimmed).toBeGreaterThan(rssFreed - 0.25 * freed);

    // Once the neighbours go too, the coalesced free space is whole pages again.
    set.freeAll();
    const rssAllFreed = rssBytes();
    mallocTrim(0);
    const rssAllTrimmed = rssBytes();
    console.info(`small blocks, all freed: RSS ${mib(rssAllFreed)} → ${mib(rssAllTrimmed)} after malloc_trim(0)`);
    expect(rssAllFreed - rssAllTrimmed).toBeGreaterThan(0.6 * allocated);
  });

  it('freeEvery(2) of 8..32 KiB blocks - RSS does not fall until malloc_trim returns the whole pages inside the holes', () => {
    mallocTrim(0);
    const set = new BlockSet();
    set.allocate({ count: 10_000, minSize: 8192, maxSize: 32768, seed: 2 });
    const rssAllocated = rssBytes();
    const freed = set.freeEvery(2);
    const rssFreed = rssBytes();
    const info = mallinfo2();
    const released = mallocTrim(0);
    const rssTrimmed = rssBytes();
    console.info(`8..32 KiB blocks: freed ${mib(freed)}, fordblks ${mib(info.fordblks)}; RSS ${mib(rssAllocated)} → ${mib(rssFreed)} after free → ${mib(rssTrimmed)} after malloc_trim(0)`);
    expect(info.fordblks).toBeGreaterThanOrEqual(0.9 * freed);
    expect(rssFreed).toBeGreaterThan(rssAllocated - 0.1 * freed);
    expect(released).toBe(true);
    expect(rssFreed - rssTrimmed).toBeGreaterThan(0.5 * freed);
    set.freeAll();
    mallocTrim(0);
  });

  it('mallopt - unknown param is a TypeError listing the names; values outside glibc range are RangeErrors', () => {
    expect(() => mallopt('mmapThresh' as never, 1)).toThrow(TypeError);
    expect(() => mallopt('mmapThresh' as never, 1)).toThrow(/mmapThreshold, trimThreshold, arenaMax, topPad/);
    expect(() => mallopt('mmapThreshold', 64 * 1024 * 1024)).toThrow(RangeError);
    expect(() => mallopt('arenaMax', 0)).toThrow(RangeError);
    expect(() => mallocTrim(-1)).toThrow(RangeError);
  });

  it('mallopt(mmapThreshold) - 100 KiB blocks become mmapped chunks (hblks) below a 64 KiB threshold, not at the 128 KiB default', () => {
    type Report = { hblksBefore: number; hblksAfter: number; hblkhdGrowth: number; count: number };
    const dflt = runChild<Report>('heap-mallopt-mmap.mjs', {}, ['default']);
    const set = runChild<Report>('heap-mallopt-mmap.mjs', {}, ['mallopt']);
    console.info(`100 × 100 KiB blocks: hblks +${dflt.hblksAfter - dflt.hblksBefore} at the default threshold, +${set.hblksAfter - set.hblksBefore} (hblkhd +${mib(set.hblkhdGrowth)}) with mmapThreshold 64 KiB`);
    expect(dflt.hblksAfter - dflt.hblksBefore).toBeLessThanOrEqual(0.1 * dflt.count);
    // malloc serves a request from a big enough free chunk before it considers mmap, so a few of
    // the 100 may still land in the heap.
    expect(set.hblksAfter - set.hblksBefore).toBeGreaterThanOrEqual(0.9 * set.count);
    expect(set.hblkhdGrowth).toBeGreaterThanOrEqual(0.9 * set.count * 100 * 1024);
  });
});

describe('out of address space (child under prlimit --as=<bare node + 384 MiB>)', () => {
  type Report = { error: { name: string; code: string; errno: number; syscall: string; message: string; isSystemError: string } | null; liveCount: number; freedBytes: number };
  const prlimit = runChildLimited.available();
  if (!prlimit) console.warn('skipping the address-space tests: the prlimit command (util-linux) is not installed');

  it.skipIf(!prlimit)('allocate - malloc NULL is a SystemError ENOMEM (syscall malloc); blocks made before it are kept and freeable', () => {
    const r = runChildLimited<Report>('heap-enomem.mjs', 384 * 1024 * 1024, ['malloc']);
    console.info(`8 × 256 MiB with 384 MiB of address space to spare: ${r.error?.message}; ${r.liveCount} block(s) kept`);
    expect(r.error).toMatchObject({ name: 'SystemError', code: 'ENOMEM', errno: 12, syscall: 'malloc', isSystemError: 'RsslabSystemError' });
    expect(r.liveCount).toBeLessThan(8);
    expect(r.freedBytes).toBe(r.liveCount * 2 ** 28);
  });

  it.skipIf(!prlimit)('runOnThreads - a failed pthread_create is a SystemError EAGAIN after joining the threads that ran', () => {
    const r = runChildLimited<Report>('heap-enomem.mjs', 384 * 1024 * 1024, ['threads']);
    console.info(`256 threads with 384 MiB of address space to spare: ${r.error?.message}`);
    expect(r.error).toMatchObject({ name: 'SystemError', code: 'EAGAIN', syscall: 'pthread_create' });
    expect(r.error?.message).toMatch(/pthread_create\(thread \d+ of 256\)/);
    expect(r.liveCount).toBeGreaterThan(0);
    expect(r.liveCount).toBeLessThan(256);
    expect(r.freedBytes).toBe(r.liveCount * 64);
  });
});

describe('parseMallocInfo', () => {
  const xml = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'heap', 'malloc-info-glibc-2.36-threads.xml'), 'utf8');

  it('parse - per-arena free chunks and system bytes, totals with mmap (fixture from this machine)', () => {
    const info = parseMallocInfo(xml);
    expect(info.arenas.map((a) => a.id)).toEqual([0, 1, 2, 3, 4]);
    expect(info.arenas[1]).toEqual({ id: 1, fastCount: 6, fastBytes: 624, restCount: 893, restBytes: 2036700, systemCurrent: 4112384, systemMax: 4112384, aspaceBytes: 4112384, freeBlocks: 899 });
    expect(info.total).toEqual({ fastCount: 16, fastBytes: 1760, restCount: 2693, restBytes: 6738496, systemCurrent: 15765504, systemMax: 15765504, mmapCount: 5, mmapBytes: 1105920, aspaceBytes: 15765504 });
    // the totals are the sums of the arenas, as glibc computes them
    expect(info.arenas.reduce((s, a) => s + a.systemCurrent, 0)).toBe(info.total.systemCurrent);
    expect(info.arenas.reduce((s, a) => s + a.restBytes, 0)).toBe(info.total.restBytes);
    expect(info.raw).toBe(xml);
  });

  it('parse - rejects text that is not malloc_info output, naming what is missing', () => {
    expect(() => parseMallocInfo('<html/>')).toThrow(/expected <malloc version="1">/);
    expect(() => parseMallocInfo(xml.replace(/<total type="mmap"[^>]*\/>/, ''))).toThrow(/total type="mmap"/);
    expect(() => parseMallocInfo(xml.replace('<system type="max" size="4112384"/>', ''))).toThrow(/<system type="max"> missing in <heap nr="1">/);
  });

  it('mallocInfo - the live heap parses and agrees with mallinfo2 on the arena bytes', () => {
    const info = mallocInfo();
    const m = mallinfo2();
    expect(info.arenas.length).toBeGreaterThanOrEqual(1);
    // two calls: Node's other threads may malloc in between, hence the tolerance
    expect(Math.abs(info.total.systemCurrent - m.arena)).toBeLessThan(4 * 1024 * 1024);
    expect(Math.abs(info.total.mmapBytes - m.hblkhd)).toBeLessThan(4 * 1024 * 1024);
  });
});
