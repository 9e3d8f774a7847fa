// Region on the real kernel: what touch/madvise/unmap do to this mapping's own smaps entry.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { features } from '../../src/core/features.js';
import { mapRegion } from '../../src/core/region.js';
import { smapsEntry, smapsField } from '../helpers/smaps-entry.js';

const MiB = 1024 * 1024;
const page = features().pageSize;
const huge = features().hugePageSize;
const thpEnabled = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? 'never';

describe('Region mapping', () => {
  it('mapRegion - its own smaps entry starts at region.address and spans region.length', () => {
    const r = mapRegion(10 * page + 1);
    try {
      expect(r.length).toBe(11 * page); // rounded up to whole pages
      const e = smapsEntry(r.address);
      expect(e).toBeDefined();
      expect(Number(e!.end - e!.start)).toBe(r.length);
      expect(e!.bytes['Rss']).toBe(0); // nothing touched yet
      expect(r.buffer.byteLength).toBe(r.length);
    } finally {
      r.unmap();
    }
  });

  it('mapRegion - alignHuge starts the region on a huge page boundary', () => {
    const regions = [1, 2, 3].map(() => mapRegion(3 * huge + page, { alignHuge: true }));
    try {
      for (const r of regions) expect(r.address % BigInt(huge)).toBe(0n);
    } finally {
      for (const r of regions) r.unmap();
    }
  });

  it('mapRegion - name is null when the kernel refuses PR_SET_VMA_ANON_NAME', () => {
    const r = mapRegion(page, { name: 'rsslab-test' });
    try {
      if (features().vmaAnonName) {
        expect(r.name).toBe('rsslab-test');
        expect(readFileSync('/proc/self/maps', 'utf8')).toContain('[anon:rsslab-test]');
      } else {
        expect(r.name).toBeNull();
      }
    } finally {
      r.unmap();
    }
  });
});

describe('Region touch, residency, checksum', () => {
  it('touch - 64 MiB touched: every page resident and the mapping Rss is 64 MiB', () => {
    const r = mapRegion(64 * MiB);
    try {
      r.touch();
      const res = r.residency();
      expect(res.pages.length).toBe(64 * MiB / page);
      expect(res.residentPages).toBe(64 * MiB / page);
      expect(res.residentBytes).toBe(64 * MiB);
      expect(Math.abs(smapsField(r.address, 'Rss') - 64 * MiB)).toBeLessThanOrEqual(page);
    } finally {
      r.unmap();
    }
  });

  it('residency - one entry per page, 1 exactly for the touched pages', () => {
    const r = mapRegion(16 * page);
    try {
      for (let i = 0; i < 16; i += 2) r.touch({ offset: i * page, length: 1 });
      const res = r.residency();
      expect(Array.from(res.pages)).toEqual(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 1 : 0)));
      expect(res.residentPages).toBe(8);
      // a sub-range starting mid-page covers that page too
      expect(r.residency({ offset: page + 10, length: page }).pages.length).toBe(2);
    } finally {
      r.unmap();
    }
  });

  it('checksum - sums the bytes touch wrote; buffer views the same memory', () => {
    const r = mapRegion(32 * page);
    try {
      r.touch({ value: 7 });
      expect(r.checksum()).toBe(7 * 32);
      const view = new Uint8Array(r.buffer);
      view[1] = 100;
      expect(r.checksum({ offset: 0, length: page })).toBe(107);
      expect(view[page]).toBe(7);
    } finally {
      r.unmap();
    }
  });
});

describe('Region advise', () => {
  it('advise dontneed - residency 0, Rss drops by 64 MiB, pages read back as zero', () => {
    const r = mapRegion(64 * MiB);
    try {
      r.touch({ value: 3 });
      const before = smapsField(r.address, 'Rss');
      r.advise('dontneed');
      expect(r.residency().residentPages).toBe(0);
      const after = smapsField(r.address, 'Rss');
      expect(before - after).toBeGreaterThanOrEqual(64 * MiB - page);
      expect(r.checksum()).toBe(0); // and reading maps the zero page: still nothing resident
      expect(smapsField(r.address, 'Rss')).toBe(0);
    } finally {
      r.unmap();
    }
  });

  it('advise free - Rss unchanged, LazyFree is the range; writes cancel the free of the written pages', () => {
    // Pages still sitting in a per-CPU LRU batch when MADV_FREE runs are skipped by the kernel
    // (folio not yet on the LRU), so LazyFree can fall short by up to one batch per CPU.
    const batchSlack = 64 * page;
    const r = mapRegion(64 * MiB);
    try {
      r.touch();
      const rssBefore = smapsField(r.address, 'Rss');
      r.advise('free');
      // seed 003: MADV_FREE leaves the pages mapped until the kernel needs memory
      expect(smapsField(r.address, 'Rss')).toBe(rssBefore);
      expect(r.residency().residentPages).toBe(64 * MiB / page);
      const lazyBefore = smapsField(r.address, 'LazyFree');
      expect(lazyBefore).toBeLessThanOrEqual(64 * MiB);
      expect(lazyBefore).toBeGreaterThanOrEqual(64 * MiB - batchSlack);
      // A write re-dirties a lazily freed page: the kernel will no longer discard it. Each written page
      // leaves LazyFree, except those that were never in it (at most the batch shortfall above).
      const shortfall = 64 * MiB - lazyBefore;
      const view = new Uint8Array(r.buffer);
      for (let i = 0; i < 256; i++) view[i * 4 * page] = 9;
      const cancelled = lazyBefore - smapsField(r.address, 'LazyFree');
      expect(cancelled).toBeLessThanOrEqual(256 * page);
      expect(cancelled).toBeGreaterThanOrEqual(256 * page - shortfall);
      expect(smapsField(r.address, 'Rss')).toBe(rssBefore); // a cancelled free changes nothing in Rss
    } finally {
      r.unmap();
    }
  });

  it('advise nohugepage / hugepage - the VMA carries the nh / hg flag', () => {
    const r = mapRegion(4 * huge, { alignHuge: true });
    try {
      r.advise('nohugepage');
      expect(smapsEntry(r.address)!.vmFlags).toContain('nh');
      r.advise('hugepage');
      const flags = smapsEntry(r.address)!.vmFlags;
      expect(flags).toContain('hg');
      expect(flags).not.toContain('nh');
    } finally {
      r.unmap();
    }
  });

  const noThp = thpEnabled === 'never';
  if (noThp) console.warn(`skipping the MADV_HUGEPAGE fault test: THP enabled is '${thpEnabled}'`);
  it.skipIf(noThp)('advise hugepage + touch - faults in huge pages (AnonHugePages > 0)', () => {
    const r = mapRegion(16 * MiB, { alignHuge: true });
    try {
      r.advise('hugepage');
      r.touch();
      const e = smapsEntry(r.address)!;
      // each fault takes a huge page if one can be had at once; on a fragmented machine some fall back
      expect(e.bytes['AnonHugePages']).toBeGreaterThan(0);
      expect(e.bytes['AnonHugePages']! % huge).toBe(0);
    } finally {
      r.unmap();
    }
  });

  it('advise collapse - one touched page per 2 MiB becomes a whole huge page each (Rss grows to the range)', () => {
    const r = mapRegion(4 * huge, { alignHuge: true });
    try {
      for (let i = 0; i < 4; i++) r.touch({ offset: i * huge, length: 1 });
      expect(smapsField(r.address, 'AnonHugePages')).toBe(0);
      expect(smapsField(r.address, 'Rss')).toBe(4 * page);
      if (!features().madvCollapse) {
        expect(() => r.advise('collapse')).toThrow(expect.objectContaining({ code: 'ERR_RSSLAB_UNSUPPORTED' }));
        return;
      }
      // MADV_COLLAPSE may answer EAGAIN (page briefly locked) or ENOMEM (no free huge page): retry a little
      let lastError: unknown;
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          r.advise('collapse');
          lastError = undefined;
          break;
        } catch (err) {
          lastError = err;
          if (!['EAGAIN', 'ENOMEM', 'EBUSY'].includes((err as { code?: string }).code ?? '')) throw err;
        }
      }
      if (lastError !== undefined) throw lastError;
      // seed 004's mechanism, done synchronously: 1 page of 512 present is enough to collapse
      expect(smapsField(r.address, 'AnonHugePages')).toBe(4 * huge);
      expect(smapsField(r.address, 'Rss')).toBe(4 * huge);
      expect(r.residency().residentPages).toBe((4 * huge) / page);
    } finally {
      r.unmap();
    }
  });

  const hasSwap = readFileSync('/proc/swaps', 'utf8').trim().split('\n').length > 1;
  if (hasSwap) console.warn('skipping the pageout-without-swap test: this machine has swap');
  it.skipIf(hasSwap || !features().madvPageout)('advise pageout - without swap anonymous pages stay resident', () => {
    const r = mapRegion(4 * MiB);
    try {
      r.touch();
      r.advise('cold');
      r.advise('pageout');
      expect(r.residency().residentPages).toBe(4 * MiB / page);
      expect(smapsField(r.address, 'Rss')).toBe(4 * MiB);
    } finally {
      r.unmap();
    }
  });
});

describe('Region unmap', () => {
  it('unmap - the mapping leaves /proc/self/maps and the buffer is detached', () => {
    const r = mapRegion(4 * page);
    const view = new Uint8Array(r.buffer);
    r.touch();
    r.unmap();
    expect(r.mapped).toBe(false);
    expect(smapsEntry(r.address)).toBeUndefined();
    expect(r.buffer.byteLength).toBe(0);
    expect(view.length).toBe(0);
    expect(view[0]).toBeUndefined(); // reads through an old view cannot reach the unmapped memory
  });

  it('unmap - every method then throws ERR_RSSLAB_UNMAPPED', () => {
    const r = mapRegion(page);
    r.unmap();
    const calls: Array<[string, () => unknown]> = [
      ['touch', () => r.touch()],
      ['advise', () => r.advise('dontneed')],
      ['residency', () => r.residency()],
      ['checksum', () => r.checksum()],
      ['setName', () => r.setName('x')],
      ['unmap', () => r.unmap()],
    ];
    for (const [name, call] of calls) {
      expect(call, name).toThrow(expect.objectContaining({ code: 'ERR_RSSLAB_UNMAPPED', message: expect.stringContaining(`Region.${name}()`) }));
    }
  });
});
