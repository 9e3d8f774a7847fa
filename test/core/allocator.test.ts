// Which allocator is live, and its own statistics, in child processes started with LD_PRELOAD of each
// allocator installed on this machine (PHENOMENA case 1's variants). The preloaded allocator serves
// Node's own mallocs too; that is expected and is exactly what a user's LD_PRELOAD does.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AllocatorInfo, AllocatorStats } from '../../src/core/allocator.js';
import { allocatorStats, detectAllocator } from '../../src/core/allocator.js';
import { mib, runChild } from './heap-helpers.js';

interface Report {
  info: AllocatorInfo;
  liveBytes: number;
  allocated: AllocatorStats;
  freed: AllocatorStats;
  purge: string;
  purged: AllocatorStats;
  rssAllocated: number;
  rssFreed: number;
  rssPurged: number;
}

const LIB_DIR = '/usr/lib/x86_64-linux-gnu';
const preloaded = [
  { name: 'jemalloc', lib: `${LIB_DIR}/libjemalloc.so.2`, version: /^5\.\d+\.\d+-/, purge: 'arena.4096.purge' },
  { name: 'mimalloc', lib: `${LIB_DIR}/libmimalloc.so.2`, version: /^2\.\d\.\d$/, purge: 'mi_collect(true)' },
  { name: 'tcmalloc', lib: `${LIB_DIR}/libtcmalloc_minimal.so.4`, version: /^2\.\d+/, purge: 'MallocExtension_ReleaseFreeMemory()' },
] as const;

function summary(r: Report): string {
  const f = (s: AllocatorStats) => `allocated ${s.allocated === null ? 'null' : mib(s.allocated)}, resident ${s.resident === null ? 'null' : mib(s.resident)}, mapped ${s.mapped === null ? 'null' : mib(s.mapped)}, retained ${s.retained === null ? 'null' : mib(s.retained)}, free ${s.free === null ? 'null' : mib(s.free)}`;
  return `${r.info.name} ${r.info.version} (${r.info.library}), ${mib(r.liveBytes)} of blocks:\n  allocated: ${f(r.allocated)}\n  freed:     ${f(r.freed)}\n  ${r.purge}: ${f(r.purged)}\n  RSS ${mib(r.rssAllocated)} → ${mib(r.rssFreed)} after free → ${mib(r.rssPurged)} after purge`;
}

describe('allocator detection', () => {
  it.skipIf(process.env.LD_PRELOAD !== undefined && process.env.LD_PRELOAD !== '')('detectAllocator - this test process runs on glibc, with its version and libc.so.6', () => {
    const info = detectAllocator();
    expect(info.name).toBe('glibc');
    expect(info.version).toMatch(/^2\.\d+$/);
    expect(info.library).toMatch(/\/libc\.so\.6$/);
    const stats = allocatorStats();
    expect(stats.allocator).toBe('glibc');
    expect(stats.allocated).toBeGreaterThan(0);
    expect(stats.active).toBeNull();
  });

  it('glibc without preload - allocated follows the block set; purge is malloc_trim(0) and RSS falls', () => {
    const r = runChild<Report>('allocator-report.mjs', { LD_PRELOAD: '' });
    console.info(summary(r));
    expect(r.info.name).toBe('glibc');
    expect(r.info.version).toMatch(/^2\.\d+$/);
    expect(r.allocated.allocated).toBeGreaterThanOrEqual(0.8 * r.liveBytes);
    expect((r.allocated.allocated ?? 0) - (r.freed.allocated ?? 0)).toBeGreaterThanOrEqual(0.8 * r.liveBytes);
    // freed chunks stay in glibc (fordblks) and in RSS until the trim
    expect(r.freed.free).toBeGreaterThanOrEqual(0.8 * r.liveBytes);
    expect(r.purge).toBe('malloc_trim(0)');
    expect(r.rssFreed - r.rssPurged).toBeGreaterThan(0.5 * r.liveBytes);
  });

  for (const a of preloaded) {
    const missing = !existsSync(a.lib);
    if (missing) console.warn(`skipping the ${a.name} tests: ${a.lib} is not installed (Debian package ${a.name === 'jemalloc' ? 'libjemalloc2' : a.name === 'mimalloc' ? 'libmimalloc2.0' : 'libtcmalloc-minimal4'})`);

    it.skipIf(missing)(`LD_PRELOAD ${a.name} - detected by the library malloc resolves to, with its version, and its stats see the blocks`, () => {
      const r = runChild<Report>('allocator-report.mjs', { LD_PRELOAD: a.lib });
      console.info(summary(r));
      expect(r.info.name).toBe(a.name);
      expect(r.info.version).toMatch(a.version);
      expect(r.info.library).toBe(a.lib);
      expect(r.allocated.allocator).toBe(a.name);
      expect(r.purge).toBe(a.purge);
      if (a.name === 'mimalloc') {
        // a release build of mimalloc 2.0 counts no allocated bytes; committed memory is the closest figure
        expect(r.allocated.allocated).toBeNull();
        expect(r.allocated.mapped).toBeGreaterThanOrEqual(0.8 * r.liveBytes);
      } else {
        expect(r.allocated.allocated).toBeGreaterThanOrEqual(0.8 * r.liveBytes);
        expect((r.allocated.allocated ?? 0) - (r.freed.allocated ?? 0)).toBeGreaterThanOrEqual(0.8 * r.liveBytes);
      }
    });
  }

  it.skipIf(!existsSync(`${LIB_DIR}/libjemalloc.so.2`))('jemalloc purge - arena.4096.purge returns the dirty pages: resident and RSS fall', () => {
    const r = runChild<Report>('allocator-report.mjs', { LD_PRELOAD: `${LIB_DIR}/libjemalloc.so.2` });
    // after free, jemalloc keeps the pages dirty (decay, 10 s by default): resident and RSS barely move
    expect(r.freed.free).toBeGreaterThanOrEqual(0.5 * r.liveBytes);
    expect(r.freed.resident).toBeGreaterThan((r.allocated.resident ?? 0) - 0.5 * r.liveBytes);
    expect((r.freed.resident ?? 0) - (r.purged.resident ?? 0)).toBeGreaterThanOrEqual(0.5 * r.liveBytes);
    expect(r.purged.free).toBeLessThan(0.1 * r.liveBytes);
    expect(r.rssFreed - r.rssPurged).toBeGreaterThan(0.5 * r.liveBytes);
  });

  it.skipIf(!existsSync(`${LIB_DIR}/libtcmalloc_minimal.so.4`))('tcmalloc purge - ReleaseFreeMemory moves free page-heap bytes to unmapped (retained) and RSS falls', () => {
    const r = runChild<Report>('allocator-report.mjs', { LD_PRELOAD: `${LIB_DIR}/libtcmalloc_minimal.so.4` });
    expect(r.freed.free).toBeGreaterThanOrEqual(0.8 * r.liveBytes);
    expect((r.purged.retained ?? 0) - (r.freed.retained ?? 0)).toBeGreaterThanOrEqual(0.25 * r.liveBytes);
    expect(r.rssFreed - r.rssPurged).toBeGreaterThan(0.25 * r.liveBytes);
  });
});
