import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativePageMapClassifier } from '../../src/core/pagemap.js';
import { mapRegion, type Region } from '../../src/core/region.js';
import { features } from '../../src/core/features.js';
import { countPages, decodePageMap, PageMapReader, type KpageflagsSource } from '../../src/probe/index.js';
import { FIXTURES, regionsChildUnavailable, startRegionsChild, type RegionsChild } from '../probe/regions-child.js';

const MiB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;
const fixtureNames = ['huge', 'lazy', 'partial', 'split'] as const;
const fixturePages: Record<(typeof fixtureNames)[number], number> = { huge: 2048, lazy: 1024, partial: 1024, split: 1024 };

function fixtureFlagsByPfn(name: string): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pagemap', `${name}.kpageflags.json`), 'utf8')) as Record<string, string>;
}

/** The JS decode's view of the captured flags (entries never captured read as 0). */
function jsFlags(byPfn: Record<string, string>): KpageflagsSource {
  return {
    read(pfn, count, into, offset) {
      for (let k = 0; k < count; k++) into.writeBigUInt64LE(BigInt(byPfn[String(pfn + k)] ?? '0'), offset + k * 8);
    },
  };
}

/** A sparse file laid out like /proc/kpageflags (entry at byte pfn × 8), so the native side reads a real descriptor. */
function sparseKpageflags(dir: string, name: string, byPfn: Record<string, string>): number {
  const file = path.join(dir, `${name}.kpageflags`);
  const fd = fs.openSync(file, 'w+');
  let maxPfn = 0;
  const entry = Buffer.alloc(8);
  for (const [pfn, flags] of Object.entries(byPfn)) {
    entry.writeBigUInt64LE(BigInt(flags));
    fs.writeSync(fd, entry, 0, 8, Number(pfn) * 8);
    maxPfn = Math.max(maxPfn, Number(pfn));
  }
  // past the last captured PFN the real file goes on (up to max_pfn): runs may read a little beyond
  fs.ftruncateSync(fd, (maxPfn + 4096) * 8);
  return fd;
}

describe('native page map classification on the captured fixtures (test/fixtures/proc/pagemap)', () => {
  let dir: string;
  const fds: number[] = [];
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsslab-kpf-'));
  });
  afterAll(() => {
    for (const fd of fds) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const name of fixtureNames) {
    it(`classifyPageMap - ${name}: the same page string as the JS decode, with and without kpageflags`, () => {
      const pagemap = fs.readFileSync(path.join(FIXTURES, 'pagemap', `${name}.pagemap.bin`));
      const pages = fixturePages[name];
      const byPfn = fixtureFlagsByPfn(name);
      const fd = sparseKpageflags(dir, name, byPfn);
      fds.push(fd);
      const out = Buffer.alloc(pages);
      expect(nativePageMapClassifier(pagemap, pages, fd, out)).toBe(1);
      const js = decodePageMap(pagemap, pages, 4096, jsFlags(byPfn));
      expect(out.toString('latin1')).toBe(js.pages);
      expect(js.source).toBe('pagemap+kpageflags');
      expect(nativePageMapClassifier(pagemap, pages, -1, out)).toBe(0);
      expect(out.toString('latin1')).toBe(decodePageMap(pagemap, pages, 4096, null).pages);
    });
  }

  it('classifyPageMap - the fixtures hold every kind the report draws (H, L, r, .)', () => {
    const seen = new Set<string>();
    for (const name of fixtureNames) {
      const pagemap = fs.readFileSync(path.join(FIXTURES, 'pagemap', `${name}.pagemap.bin`));
      for (const c of decodePageMap(pagemap, fixturePages[name], 4096, jsFlags(fixtureFlagsByPfn(name))).pages) seen.add(c);
    }
    expect([...seen].sort()).toEqual(['.', 'H', 'L', 'r']);
  });

  it('classifyPageMap - PFNs hidden (an unprivileged reader) give present bits only, source 0, with or without a scan', () => {
    const masked = Buffer.from(fs.readFileSync(path.join(FIXTURES, 'pagemap', 'partial.pagemap.bin')));
    for (let i = 0; i < 1024; i++) masked.writeBigUInt64LE(masked.readBigUInt64LE(i * 8) & ~((1n << 55n) - 1n), i * 8);
    const out = Buffer.alloc(1024);
    expect(nativePageMapClassifier(masked, 1024, 0, out)).toBe(0);
    expect(out.toString('latin1')).toBe('r'.repeat(256) + '.'.repeat(768));
    const stats = new Float64Array([7, 7, 7]);
    expect(nativePageMapClassifier(masked, 1024, 0, out.fill(0), { pagemapFd: 0, startAddress: 0x200000n, stats })).toBe(0);
    expect(out.toString('latin1')).toBe('r'.repeat(256) + '.'.repeat(768));
    expect([...stats]).toEqual([0, 0, 0]);
  });

  it('classifyPageMap - swapped entries are s; an unaligned pagemap view decodes the same', () => {
    const entries = Buffer.alloc(2 * 8 + 3);
    entries.writeBigUInt64LE(1n << 62n, 3);
    expect(nativePageMapClassifier(entries.subarray(3), 2, -1, Buffer.alloc(2))).toBe(0);
    const out = Buffer.alloc(2);
    nativePageMapClassifier(entries.subarray(3), 2, -1, out);
    expect(out.toString('latin1')).toBe('s.');
  });

  it('classifyPageMap - bad arguments are TypeError/RangeError, a kpageflags read error is a SystemError with code', () => {
    const call = nativePageMapClassifier as unknown as (...a: unknown[]) => number;
    expect(() => call('x', 1, -1, Buffer.alloc(1))).toThrow(TypeError);
    expect(() => call(Buffer.alloc(8), 2, -1, Buffer.alloc(2))).toThrow(RangeError);
    expect(() => call(Buffer.alloc(16), 2, -1, Buffer.alloc(1))).toThrow(RangeError);
    expect(() => call(Buffer.alloc(8), -1, -1, Buffer.alloc(1))).toThrow(RangeError);
    expect(() => call(new Float64Array(2), 1, -1, Buffer.alloc(1))).toThrow(TypeError);
    const scan = (v: unknown) => () => call(Buffer.alloc(8), 1, -1, Buffer.alloc(1), v);
    expect(scan({ pagemapFd: 3, startAddress: 4096 })).toThrow(TypeError); // startAddress must be a bigint
    expect(scan({ pagemapFd: 3, startAddress: -1n })).toThrow(TypeError);
    expect(scan({ pagemapFd: 'x', startAddress: 0n })).toThrow(TypeError);
    expect(scan({ pagemapFd: 3, startAddress: 0n, stats: new Float64Array(2) })).toThrow(TypeError);
    const present = Buffer.alloc(8);
    present.writeBigUInt64LE((1n << 63n) | 5n);
    // a closed descriptor: pread fails with EBADF, reported like Node's own errors
    const fd = fs.openSync(os.devNull, 'r');
    fs.closeSync(fd);
    expect(() => nativePageMapClassifier(present, 1, fd, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'pread' }));
    // an empty file reads 0 bytes: the way kpageflags answers past max_pfn
    const empty = fs.openSync(os.devNull, 'r');
    try {
      expect(() => nativePageMapClassifier(present, 1, empty, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    } finally {
      fs.closeSync(empty);
    }
  });
});

describe.skipIf(!isRoot)('native page maps of live regions equal the JS decode (as root, real kernel)', () => {
  const { pageSize, hugePageSize } = features();
  const regions: Region[] = [];
  const js = new PageMapReader('self');
  const native = new PageMapReader('self', { classifier: nativePageMapClassifier });
  afterAll(() => {
    js.close();
    native.close();
    for (const r of regions) if (r.mapped) r.unmap();
  });
  /**
   * Both decodes of the same region, read one after the other. `lazyDrift`: MADV_FREE clears
   * PG_swapbacked when the CPU's lazyfree folio batch drains (mm/swap.c, up to 31 folios), which may
   * happen between the two reads: those pages may read 'r' then 'L', and nothing else may differ.
   */
  const both = (r: Region, lazyDrift = 0) => {
    const a = js.read(r.address, r.length);
    const b = native.read(r.address, r.length);
    expect(b.source).toBe('pagemap+kpageflags');
    expect(b.pageSize).toBe(a.pageSize);
    if (lazyDrift === 0) expect(b.pages).toBe(a.pages);
    else {
      let drift = 0;
      for (let i = 0; i < a.pages.length; i++) {
        if (a.pages[i] === b.pages[i]) continue;
        expect(`${a.pages[i]}${b.pages[i]}`).toBe('rL');
        drift++;
      }
      expect(drift).toBeLessThanOrEqual(lazyDrift);
    }
    return countPages(b.pages);
  };
  const map = (bytes: number) => {
    const r = mapRegion(bytes, { alignHuge: true });
    regions.push(r);
    return r;
  };

  it('PageMapReader(native) - touched small pages are r, DONTNEED holes are .', () => {
    const r = map(16 * MiB);
    r.advise('nohugepage');
    r.touch();
    for (let off = 0; off < r.length; off += 2 * pageSize) r.advise('dontneed', { offset: off, length: pageSize });
    const counts = both(r);
    expect(counts.absent).toBe(r.length / pageSize / 2);
    expect(counts.resident).toBe(r.length / pageSize / 2);
  });

  it.skipIf(!features().madvHugepage)('PageMapReader(native) - a MADV_HUGEPAGE region is H', () => {
    const r = map(8 * MiB);
    r.advise('hugepage');
    r.touch();
    const counts = both(r);
    // khugepaged or the fault path may fall back to small pages under memory pressure: most, not all
    expect(counts.huge).toBeGreaterThanOrEqual(hugePageSize / pageSize);
  });

  it.skipIf(!features().madvCollapse)('PageMapReader(native) - MADV_COLLAPSE of small pages makes them H', () => {
    const r = map(4 * MiB);
    r.touch();
    let collapsed = true;
    try {
      r.advise('collapse');
    } catch {
      collapsed = false; // EAGAIN/ENOMEM when no huge page is free: the equality below still holds
    }
    const counts = both(r);
    if (collapsed) expect(counts.huge).toBe(r.length / pageSize);
  });

  it('PageMapReader(native) - maps of ≥ 16384 pages (kpageflags read on two threads) equal the JS decode, small pages and THP', () => {
    const small = map(80 * MiB);
    small.advise('nohugepage');
    small.touch();
    expect(both(small).resident).toBe(small.length / pageSize);
    const huge = map(80 * MiB);
    if (features().madvHugepage) huge.advise('hugepage');
    huge.touch();
    const counts = both(huge);
    expect(counts.resident + counts.huge).toBe(huge.length / pageSize);
  });

  it.skipIf(!features().madvCollapse)('PageMapReader(native) - PMD-mapped blocks (PAGEMAP_SCAN) read one kpageflags entry each, with the same pages', () => {
    // MADV_COLLAPSE works whatever the THP sysfs mode, so the region is PMD-mapped even under "never"
    const r = map(4 * MiB);
    r.touch();
    try {
      r.advise('collapse');
    } catch {
      return expect(both(r).resident + both(r).huge).toBe(r.length / pageSize); // no free huge page: nothing to count
    }
    const blocks = r.length / hugePageSize;
    expect(both(r).huge).toBe(r.length / pageSize);
    // the native read above: one entry and one pread per 2 MiB block
    expect(native.lastKpageflagsReads).toEqual({ entries: blocks, reads: blocks, headOnlyBlocks: blocks });
  });

  it.skipIf(!features().madvCollapse)('classifyPageMap - without PAGEMAP_SCAN (an fd that is not a pagemap: ENOTTY) every PFN is read, same pages', () => {
    const r = map(4 * MiB);
    r.touch();
    try {
      r.advise('collapse');
    } catch {
      // small pages: the comparison below holds either way
    }
    const pages = r.length / pageSize;
    const pm = fs.openSync(`/proc/self/pagemap`, 'r');
    const kpf = fs.openSync('/proc/kpageflags', 'r');
    const notPagemap = fs.openSync(os.devNull, 'r');
    try {
      const entries = Buffer.alloc(pages * 8);
      fs.readSync(pm, entries, 0, pages * 8, Number(r.address / BigInt(pageSize)) * 8);
      const withScan = Buffer.alloc(pages);
      const without = Buffer.alloc(pages);
      const stats = new Float64Array(3);
      expect(nativePageMapClassifier(entries, pages, kpf, without, { pagemapFd: notPagemap, startAddress: r.address, stats })).toBe(1);
      expect(stats[2]).toBe(0);
      expect(stats[0]).toBeGreaterThanOrEqual(pages);
      expect(nativePageMapClassifier(entries, pages, kpf, withScan, { pagemapFd: pm, startAddress: r.address })).toBe(1);
      expect(without.toString('latin1')).toBe(withScan.toString('latin1'));
      expect(without.toString('latin1')).toBe(decodePageMap(entries, pages, pageSize, { read: (pfn, count, into, offset) => void fs.readSync(kpf, into, offset, count * 8, pfn * 8) }).pages);
    } finally {
      for (const fd of [pm, kpf, notPagemap]) fs.closeSync(fd);
    }
  });

  it.skipIf(!features().madvFree)('PageMapReader(native) - MADV_FREE pages are L', () => {
    const r = map(4 * MiB);
    r.advise('nohugepage');
    r.touch();
    r.advise('free');
    const counts = both(r, 31);
    expect(counts.lazy).toBeGreaterThanOrEqual(r.length / pageSize - 31);
  });
});

describe.skipIf(regionsChildUnavailable !== null)('native page maps of another process (regions child)', () => {
  let child: RegionsChild;
  beforeAll(async () => {
    child = await startRegionsChild();
  });
  afterAll(async () => {
    await child?.stop();
  });

  it('PageMapReader(native) - every region of the child maps the same as the JS decode (split: deferred split kept H)', () => {
    const js = new PageMapReader(child.pid);
    const native = new PageMapReader(child.pid, { classifier: nativePageMapClassifier });
    try {
      for (const name of ['huge', 'lazy', 'partial', 'split'] as const) {
        const r = child.regions[name];
        const a = js.read(r.address, r.sizeBytes).pages;
        const b = native.read(r.address, r.sizeBytes).pages;
        if (name !== 'lazy') expect(b).toBe(a);
        // the lazyfree batch (up to 31 folios) may drain between the reads: only r → L may differ
        else expect([...a].filter((c, i) => c !== b[i] && !(c === 'r' && b[i] === 'L')).length + Math.max(0, [...a].filter((c, i) => c !== b[i]).length - 31)).toBe(0);
      }
      expect(native.read(child.regions.partial.address, child.regions.partial.sizeBytes).pages).toBe('r'.repeat(256) + '.'.repeat(768));
    } finally {
      js.close();
      native.close();
    }
  });

  it('PageMapReader(native) - after the child exits, a read is an error with a code', async () => {
    const other = await startRegionsChild();
    const reader = new PageMapReader(other.pid, { classifier: nativePageMapClassifier });
    try {
      reader.read(other.regions.partial.address, other.regions.partial.sizeBytes);
      await other.stop();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(() => reader.read(other.regions.partial.address, other.regions.partial.sizeBytes)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(ESRCH|ENOENT)$/) }));
    } finally {
      reader.close();
    }
  });
});
