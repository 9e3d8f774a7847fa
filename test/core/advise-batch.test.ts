// Batched madvise on the real kernel: one crossing into the addon, the same effect as the loop.
import { describe, expect, it } from 'vitest';
import { features } from '../../src/core/features.js';
import { mapRegion, type BatchAdviseError } from '../../src/core/region.js';
import { isRsslabSystemError } from '../../src/core/errors.js';
import { smapsField } from '../helpers/smaps-entry.js';

const MiB = 1024 * 1024;
const page = features().pageSize;
const huge = features().hugePageSize;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('Region.adviseStrided', () => {
  it("adviseStrided dontneed - seed 004's loop on small pages: Rss falls by exactly count × length", () => {
    const r = mapRegion(16 * MiB, { alignHuge: true });
    try {
      r.advise('nohugepage');
      r.touch();
      const before = smapsField(r.address, 'Rss');
      expect(before).toBe(r.length);
      const calls = r.adviseStrided('dontneed', { length: huge - page, stride: huge });
      expect(calls).toBe(r.length / huge);
      expect(before - smapsField(r.address, 'Rss')).toBe(calls * (huge - page));
      expect(r.residency().residentPages).toBe(calls);
    } finally {
      r.unmap();
    }
  });

  it.skipIf(!features().madvHugepage)('adviseStrided dontneed - THP-backed region: Rss keeps one small page per 2 MiB (the rest zapped, the huge pages split)', () => {
    const r = mapRegion(16 * MiB, { alignHuge: true });
    try {
      r.advise('hugepage');
      r.touch();
      const before = smapsField(r.address, 'Rss');
      const calls = r.adviseStrided('dontneed', { length: huge - page, stride: huge });
      expect(calls).toBe(8);
      expect(before - smapsField(r.address, 'Rss')).toBe(calls * (huge - page));
    } finally {
      r.unmap();
    }
  });

  it('adviseStrided - offset and count: only the asked calls are made (page by page, every other page)', () => {
    const r = mapRegion(4 * MiB);
    try {
      r.advise('nohugepage');
      r.touch();
      const calls = r.adviseStrided('dontneed', { offset: page, length: page, stride: 2 * page, count: 100 });
      expect(calls).toBe(100);
      const pages = r.residency().pages;
      expect(pages[0]).toBe(1);
      expect(pages[1]).toBe(0);
      expect(pages[2]).toBe(1);
      expect(pages[199]).toBe(0);
      expect(pages[201]).toBe(1);
      expect(r.residency().residentPages).toBe(r.length / page - 100);
    } finally {
      r.unmap();
    }
  });

  it('adviseStrided - bad arguments throw before any syscall (nothing was freed)', () => {
    const r = mapRegion(4 * MiB);
    try {
      r.touch();
      const resident = r.residency().residentPages;
      expect(() => r.adviseStrided('dontneed', { length: page, stride: page, count: r.length / page + 1 })).toThrow(RangeError);
      expect(() => r.adviseStrided('dontneed', { length: page, stride: page + 1 })).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringContaining('stride') }));
      expect(() => r.adviseStrided('dontneed', { offset: 1, length: page, stride: page })).toThrow(RangeError);
      expect(() => r.adviseStrided('dontneed', { length: -1, stride: page })).toThrow(RangeError);
      expect(() => r.adviseStrided('dontneed', { length: page, stride: 0 })).toThrow(RangeError);
      expect(() => r.adviseStrided('dontneeed' as 'dontneed', { length: page, stride: page })).toThrow(TypeError);
      expect(() => r.adviseStrided('dontneed', null as unknown as { length: number; stride: number })).toThrow(TypeError);
      expect(r.residency().residentPages).toBe(resident);
    } finally {
      r.unmap();
    }
  });
});

describe('Region.adviseRanges', () => {
  it('adviseRanges dontneed - each listed range is freed, Rss falls by their sum', () => {
    const r = mapRegion(8 * MiB);
    try {
      r.advise('nohugepage');
      r.touch();
      const before = smapsField(r.address, 'Rss');
      const ranges = new Float64Array([0, page, 10 * page, 3 * page, 4 * MiB, MiB]);
      expect(r.adviseRanges('dontneed', ranges)).toBe(3);
      expect(before - smapsField(r.address, 'Rss')).toBe(page + 3 * page + MiB);
    } finally {
      r.unmap();
    }
  });

  it.skipIf(!features().madvCollapse)('adviseRanges - a call failing part-way reports which range failed and how many succeeded', () => {
    const r = mapRegion(4 * huge, { alignHuge: true });
    try {
      r.advise('nohugepage', { offset: 2 * huge, length: 2 * huge });
      // zero-length calls succeed without touching anything; MADV_COLLAPSE on a MADV_NOHUGEPAGE VMA is EINVAL
      const ranges = new Float64Array([0, 0, huge, 0, 2 * huge, huge, 3 * huge, huge]);
      const e = caught(() => r.adviseRanges('collapse', ranges)) as BatchAdviseError;
      expect(isRsslabSystemError(e, 'EINVAL')).toBe(true);
      expect(e.syscall).toBe('madvise');
      expect(e.succeeded).toBe(2);
      expect(e.failedOffset).toBe(2 * huge);
      expect(e.failedLength).toBe(huge);
      expect(e.message).toContain('after 2 of 4 calls succeeded');
      // the same shape from the strided form
      const s = caught(() => r.adviseStrided('collapse', { offset: 2 * huge, length: huge, stride: huge })) as BatchAdviseError;
      expect(s.succeeded).toBe(0);
      expect(s.failedOffset).toBe(2 * huge);
    } finally {
      r.unmap();
    }
  });

  it('adviseRanges - a range outside the region or unaligned is a RangeError before any call', () => {
    const r = mapRegion(MiB);
    try {
      r.touch();
      expect(() => r.adviseRanges('dontneed', new Float64Array([0, page, r.length, page]))).toThrow(RangeError);
      expect(() => r.adviseRanges('dontneed', new Float64Array([0, page, 100, page]))).toThrow(RangeError);
      expect(() => r.adviseRanges('dontneed', new Float64Array([0, page, 0]))).toThrow(RangeError);
      expect(() => r.adviseRanges('dontneed', [0, page] as unknown as Float64Array)).toThrow(TypeError);
      expect(r.residency().residentPages).toBe(r.length / page);
    } finally {
      r.unmap();
    }
  });
});
