import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPages, decodePageMap, KPF_ANON, KPF_SWAPBACKED, KPF_THP, PageMapReader, parseSmaps, readPageMap, type KpageflagsSource } from '../../src/probe/index.js';
import { FIXTURES, regionsChildUnavailable, startRegionsChild, type RegionsChild } from './regions-child.js';

const MiB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;
const notRoot = isRoot ? null : 'not root: PFNs read as 0 and /proc/kpageflags is unreadable without CAP_SYS_ADMIN';
if (notRoot) console.warn(`skipping kpageflags tests: ${notRoot}`);
if (regionsChildUnavailable) console.warn(`skipping live region page map tests: ${regionsChildUnavailable}`);

/** kpageflags of the captured PFNs, served like the real file (entries never captured read as 0). */
function fixtureFlags(name: string): KpageflagsSource & { reads: number } {
  const byPfn = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pagemap', `${name}.kpageflags.json`), 'utf8')) as Record<string, string>;
  return {
    reads: 0,
    read(pfn, count, into, offset) {
      this.reads++;
      for (let k = 0; k < count; k++) into.writeBigUInt64LE(BigInt(byPfn[String(pfn + k)] ?? '0'), offset + k * 8);
    },
  };
}
const fixturePagemap = (name: string) => fs.readFileSync(path.join(FIXTURES, 'pagemap', `${name}.pagemap.bin`));

describe('page map decoding (pagemap + kpageflags captured on this machine)', () => {
  it('decodePageMap - a MADV_HUGEPAGE region is all H, read in one kpageflags run per huge page or fewer', () => {
    const flags = fixtureFlags('huge');
    const map = decodePageMap(fixturePagemap('huge'), 2048, 4096, flags);
    expect(map.source).toBe('pagemap+kpageflags');
    expect(map.pages).toBe('H'.repeat(2048));
    expect(flags.reads).toBeLessThanOrEqual(4);
  });

  it('decodePageMap - MADV_FREE pages are L: anonymous without PG_swapbacked', () => {
    const map = decodePageMap(fixturePagemap('lazy'), 1024, 4096, fixtureFlags('lazy'));
    // 1023 lazily freed; one was still in a per-CPU LRU batch (smaps: LazyFree 4092 of 4096 kB)
    expect(countPages(map.pages)).toEqual({ absent: 0, resident: 1, huge: 0, lazy: 1023, swapped: 0 });
  });

  it('decodePageMap - a partly written region: written pages r, the rest .', () => {
    const map = decodePageMap(fixturePagemap('partial'), 1024, 4096, fixtureFlags('partial'));
    expect(map.pages).toBe('r'.repeat(256) + '.'.repeat(768));
  });

  it('decodePageMap - after partial MADV_DONTNEED the last page of each 2 MiB is still part of its huge folio (deferred split)', () => {
    const map = decodePageMap(fixturePagemap('split'), 1024, 4096, fixtureFlags('split'));
    expect(map.pages).toBe(('.'.repeat(511) + 'H').repeat(2));
  });

  it('decodePageMap - without kpageflags, present pages are r and the source says pagemap', () => {
    const map = decodePageMap(fixturePagemap('huge'), 2048, 4096, null);
    expect(map).toEqual({ source: 'pagemap', pageSize: 4096, pages: 'r'.repeat(2048) });
  });

  it('decodePageMap - PFNs zeroed (as an unprivileged reader sees them) fall back to present bits only', () => {
    const masked = Buffer.from(fixturePagemap('partial'));
    for (let i = 0; i < 1024; i++) masked.writeBigUInt64LE(masked.readBigUInt64LE(i * 8) & ~((1n << 55n) - 1n), i * 8);
    const map = decodePageMap(masked, 1024, 4096, fixtureFlags('partial'));
    expect(map.source).toBe('pagemap');
    expect(map.pages).toBe('r'.repeat(256) + '.'.repeat(768));
  });

  it('decodePageMap - the swapped bit gives s (hand-built entry: this machine has no swap)', () => {
    const entries = Buffer.alloc(16);
    entries.writeBigUInt64LE(1n << 62n, 0);
    expect(decodePageMap(entries, 2, 4096, null).pages).toBe('s.');
  });

  it('decodePageMap - entries at an unaligned offset of a larger buffer decode the same', () => {
    const raw = fixturePagemap('partial');
    const shifted = Buffer.alloc(raw.length + 3);
    raw.copy(shifted, 3);
    expect(decodePageMap(shifted.subarray(3), 1024, 4096, fixtureFlags('partial')).pages).toBe('r'.repeat(256) + '.'.repeat(768));
  });

  it('decodePageMap - a buffer shorter than the page count is a RangeError', () => {
    expect(() => decodePageMap(Buffer.alloc(8), 2, 4096, null)).toThrow(RangeError);
  });

  it('the bit numbers used are the kernel ABI (linux/kernel-page-flags.h) and the fixture pages carry them', () => {
    const header = '/usr/include/linux/kernel-page-flags.h';
    if (fs.existsSync(header)) {
      const bit = (name: string) => Number(new RegExp(`#define ${name}\\s+(\\d+)`).exec(fs.readFileSync(header, 'latin1'))?.[1]);
      expect(KPF_THP).toBe(2 ** bit('KPF_THP'));
      expect(KPF_ANON).toBe(2 ** bit('KPF_ANON'));
      expect(KPF_SWAPBACKED).toBe(2 ** bit('KPF_SWAPBACKED'));
    } else {
      // Documentation/admin-guide/mm/pagemap.rst: 12 ANON, 14 SWAPBACKED, 22 THP
      expect([KPF_ANON, KPF_SWAPBACKED, KPF_THP]).toEqual([2 ** 12, 2 ** 14, 2 ** 22]);
    }
    const flags = Object.values(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pagemap', 'huge.kpageflags.json'), 'utf8')) as Record<string, string>);
    expect(flags.every((f) => (Number(BigInt(f) & 0xffffffffn) & (KPF_THP | KPF_ANON | KPF_SWAPBACKED)) === (KPF_THP | KPF_ANON | KPF_SWAPBACKED))).toBe(true);
  });
});

describe('page map readers (live kernel)', () => {
  it('readPageMap - argument errors are RangeError/TypeError before any read', () => {
    expect(() => readPageMap('self', 0x1001n, 4096)).toThrow(RangeError);
    expect(() => readPageMap('self', 0x1000n, -1)).toThrow(RangeError);
    expect(() => readPageMap('self', 0x1000n, 1.5)).toThrow(RangeError);
    expect(() => readPageMap('self', 4096 as unknown as bigint, 4096)).toThrow(TypeError);
  });

  it('readPageMap - the backing of a written 64 MiB Buffer of this process is resident', () => {
    const keep = Buffer.alloc(64 * MiB, 1);
    const mapping = parseSmaps(fs.readFileSync('/proc/self/smaps', 'latin1')).find((e) => e.sizeBytes >= 64 * MiB && e.rssBytes >= 60 * MiB && e.pathname === '');
    expect(mapping).toBeDefined();
    const start = mapping?.start ?? 0n;
    const map = readPageMap('self', start, mapping?.sizeBytes ?? 0);
    const counts = countPages(map.pages);
    expect(map.source).toBe(isRoot ? 'pagemap+kpageflags' : 'pagemap');
    expect(counts.resident + counts.huge).toBeGreaterThanOrEqual((60 * MiB) / 4096);
    expect(keep[keep.length - 1]).toBe(1);
  });

  describe.skipIf(regionsChildUnavailable !== null || notRoot !== null)('with the regions child, as root', () => {
    let child: RegionsChild;
    let reader: PageMapReader;
    beforeAll(async () => {
      child = await startRegionsChild();
      reader = new PageMapReader(child.pid);
    });
    afterAll(async () => {
      reader?.close();
      await child?.stop();
    });

    it('PageMapReader - the huge region maps as H, the MADV_FREE region as L (PG_swapbacked cleared on this kernel)', () => {
      const huge = reader.read(child.regions.huge.address, child.regions.huge.sizeBytes);
      expect(huge.source).toBe('pagemap+kpageflags');
      expect(huge.pages).toBe('H'.repeat(2048));
      const lazy = countPages(reader.read(child.regions.lazy.address, child.regions.lazy.sizeBytes).pages);
      expect(lazy.lazy).toBeGreaterThanOrEqual(1024 - 16);
      expect(lazy.lazy + lazy.resident).toBe(1024);
    });

    it('PageMapReader - partly written and partly DONTNEED regions, read again through the same open files', () => {
      expect(reader.read(child.regions.partial.address, child.regions.partial.sizeBytes).pages).toBe('r'.repeat(256) + '.'.repeat(768));
      const split = reader.read(child.regions.split.address, child.regions.split.sizeBytes).pages;
      expect(split.replace(/H/g, 'r')).toBe(('.'.repeat(511) + 'r').repeat(2));
      expect(reader.hasKpageflags).toBe(true);
    });
  });
});

describe.skipIf(regionsChildUnavailable !== null)('page map reader and process exit (live kernel)', () => {
  it('PageMapReader - reading after the process exited is an error with a code, not an empty map', async () => {
    const child = await startRegionsChild();
    const reader = new PageMapReader(child.pid);
    try {
      expect(reader.read(child.regions.partial.address, child.regions.partial.sizeBytes).pages.startsWith('r'.repeat(256))).toBe(true);
      await child.stop();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(() => reader.read(child.regions.partial.address, child.regions.partial.sizeBytes)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(ESRCH|ENOENT)$/) }));
    } finally {
      reader.close();
    }
  });
});
