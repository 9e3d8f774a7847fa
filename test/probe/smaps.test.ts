import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSmapsEntries, findSmapsRanges, summariseSmaps, parseSmaps, parseSmapsEntry, parseSmapsRollup, readSmapsEntries, readSmapsRollup } from '../../src/probe/index.js';
import { FIXTURES, regionsChildUnavailable, startRegionsChild, type RegionsChild } from './regions-child.js';

const KiB = 1024;
const MiB = 1024 * 1024;
const machine = path.join(FIXTURES, 'machine');
const fixture = JSON.parse(fs.readFileSync(path.join(machine, 'regions.json'), 'utf8')) as { pid: number; regions: Record<string, { address: string; lengthBytes: number }> };
const rollupText = fs.readFileSync(path.join(machine, 'proc', String(fixture.pid), 'smaps_rollup'), 'latin1');
const smapsText = fs.readFileSync(path.join(machine, 'proc', String(fixture.pid), 'smaps'), 'latin1');
const addr = (name: string): bigint => BigInt(fixture.regions[name]?.address ?? 'missing');

describe('smaps_rollup parser (fixture captured on this machine)', () => {
  it('parseSmapsRollup - kB fields become bytes, LazyFree and AnonHugePages included', () => {
    const r = parseSmapsRollup(rollupText);
    expect(r.rssBytes).toBe(14824 * KiB);
    expect(r.pssBytes).toBe(13616 * KiB);
    expect(r.anonBytes).toBe(13416 * KiB);
    expect(r.lazyFreeBytes).toBe(4092 * KiB);
    expect(r.anonHugeBytes).toBe(8192 * KiB);
    expect(r.swapBytes).toBe(0);
    expect(r.privateCleanBytes).toBe(4096 * KiB);
    expect(r.pssFileBytes).toBe(200 * KiB);
  });

  it('parseSmapsRollup - empty text (an exited process) is a clear error', () => {
    expect(() => parseSmapsRollup('')).toThrow(/empty/);
    expect(() => parseSmapsRollup('Nonsense: 1 kB\n')).toThrow(/"Rss"/);
  });
});

describe('smaps parser (fixture captured on this machine)', () => {
  it('parseSmaps - one entry per mapping header', () => {
    const entries = parseSmaps(smapsText);
    expect(entries).toHaveLength(32);
    expect(entries.find((e) => e.pathname === '[stack]')).toBeDefined();
    expect(entries.reduce((sum, e) => sum + e.rssBytes, 0)).toBe(14824 * KiB); // the rollup is the sum
  });

  it('parseSmapsEntry - the huge region: AnonHugePages, THPeligible and the "hg" flag', () => {
    const e = parseSmapsEntry(smapsText, addr('huge'));
    expect(e).not.toBeNull();
    expect(e?.start).toBe(0x7f832b400000n);
    expect(e?.end).toBe(0x7f832bc00000n);
    expect(e?.sizeBytes).toBe(8 * MiB);
    expect(e?.rssBytes).toBe(8 * MiB);
    expect(e?.anonHugeBytes).toBe(8 * MiB);
    expect(e?.thpEligible).toBe(true);
    expect(e?.vmFlags).toEqual(['rd', 'wr', 'mr', 'mw', 'me', 'ac', 'hg']);
    expect(e?.perms).toBe('rw-p');
    expect(e?.pathname).toBe('');
    expect(e?.kernelPageSizeBytes).toBe(4096);
  });

  it('parseSmapsEntry - the MADV_FREE region: RSS stays, LazyFree shows it', () => {
    const e = parseSmapsEntry(smapsText, addr('lazy'));
    expect(e?.rssBytes).toBe(4096 * KiB);
    expect(e?.lazyFreeBytes).toBe(4092 * KiB);
    expect(e?.thpEligible).toBe(false);
    expect(e?.vmFlags).toContain('nh');
  });

  it('parseSmapsEntry - an address inside a mapping finds the mapping containing it', () => {
    const inside = parseSmapsEntry(smapsText, addr('split') + 0x123456n);
    expect(inside?.start).toBe(addr('split'));
    expect(inside?.rssBytes).toBe(8 * KiB); // one 4 KiB page left in each 2 MiB
    expect(inside?.anonHugeBytes).toBe(0); // PTE-mapped after the split of the PMD
  });

  it('parseSmapsEntry - an address no mapping holds gives null', () => {
    expect(parseSmapsEntry(smapsText, 0x1000n)).toBeNull();
  });

  it('parseSmapsEntry - file mappings keep their pathname', () => {
    const file = parseSmaps(smapsText).find((e) => e.pathname.startsWith('/'));
    expect(file).toBeDefined();
    expect(file?.pathname).toMatch(/^\/\S+/);
  });

  it('findSmapsEntries - one pass serves every address, in the order asked', () => {
    const names = ['partial', 'huge', 'lazy', 'split'];
    const entries = findSmapsEntries(smapsText, [...names.map(addr), 0x10n]);
    expect(entries.map((e) => e?.rssBytes ?? null)).toEqual([1024 * KiB, 8192 * KiB, 4096 * KiB, 8 * KiB, null]);
  });

  it('findSmapsRanges - sums the mappings overlapping each range and counts bytes outside it', () => {
    const [huge, both, none] = findSmapsRanges(smapsText, [
      { address: addr('huge'), sizeBytes: 8 * MiB },
      // from the start of the lazy region to the end of the huge one: lazy, a 2 MiB gap mapping, huge
      { address: addr('lazy'), sizeBytes: Number(addr('huge') - addr('lazy')) + 8 * MiB },
      { address: 0x1000n, sizeBytes: 4096 },
    ]);
    expect(huge).toEqual({ sizeBytes: 8 * MiB, rssBytes: 8 * MiB, anonHugeBytes: 8 * MiB, lazyFreeBytes: 0, swapBytes: 0, mappings: 1, outsideBytes: 0 });
    expect(both?.mappings).toBe(3);
    expect(both?.rssBytes).toBe(12 * MiB);
    expect(both?.lazyFreeBytes).toBe(4092 * KiB);
    expect(none?.mappings).toBe(0);
    const half = findSmapsRanges(smapsText, [{ address: addr('huge') + BigInt(2 * MiB), sizeBytes: 2 * MiB }])[0];
    expect(half?.outsideBytes).toBe(6 * MiB);
  });
});

describe('summariseSmaps (fixture captured on this machine)', () => {
  it('summariseSmaps - totals from smaps equal smaps_rollup (Pss within 1 kB per mapping), regions as the child made them', () => {
    const rollup = parseSmapsRollup(rollupText);
    const ranges = Object.values(fixture.regions).map((r) => ({ address: BigInt(r.address), sizeBytes: r.lengthBytes }));
    const { totals, ranges: figures } = summariseSmaps(smapsText, ranges);
    expect(totals).toMatchObject({ rssBytes: rollup.rssBytes, anonBytes: rollup.anonBytes, lazyFreeBytes: rollup.lazyFreeBytes, anonHugeBytes: rollup.anonHugeBytes, swapBytes: rollup.swapBytes });
    expect(totals.pssBytes).toBeLessThanOrEqual(rollup.pssBytes);
    expect(totals.pssBytes).toBeGreaterThan(rollup.pssBytes - 32 * KiB);
    // what test/fixtures/proc/regions.c did to each region before the capture, in regions.json's order:
    // huge 8 MiB MADV_HUGEPAGE written; lazy 4 MiB written then MADV_FREE (one page was still in a
    // per-CPU LRU batch at the capture and kept PG_swapbacked);
    // partial 1 of 4 MiB written; split: 2 huge pages, all but the last 4 KiB of each MADV_DONTNEED
    expect(Object.keys(fixture.regions)).toEqual(['huge', 'lazy', 'partial', 'split']);
    expect(figures.map((f) => [f.rssBytes, f.anonHugeBytes, f.lazyFreeBytes, f.mappings, f.outsideBytes])).toEqual([
      [8 * MiB, 8 * MiB, 0, 1, 0],
      [4 * MiB, 0, 4092 * KiB, 1, 0],
      [1 * MiB, 0, 0, 1, 0],
      [8 * KiB, 0, 0, 1, 0],
    ]);
  });
});

describe('smaps readers (live kernel)', () => {
  it('readSmapsRollup - a child writing a 64 MiB Buffer grows its RSS by at least 60 MiB', async () => {
    const child = spawn(process.execPath, ['-e', `
      process.stdout.write('ready\\n');
      process.stdin.once('data', () => { globalThis.keep = Buffer.alloc(64 << 20, 1); process.stdout.write('filled\\n'); process.stdin.once('data', () => process.exit(0)); });
    `], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const next = (want: string) => new Promise<void>((resolve) => {
      const check = () => (lines.includes(want) ? resolve() : setTimeout(check, 5));
      check();
    });
    child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    try {
      await next('ready');
      const before = readSmapsRollup(child.pid ?? -1);
      child.stdin.write('go\n');
      await next('filled');
      const after = readSmapsRollup(child.pid ?? -1);
      expect(after.rssBytes - before.rssBytes).toBeGreaterThanOrEqual(60 * MiB);
      expect((after.anonBytes ?? 0) - (before.anonBytes ?? 0)).toBeGreaterThanOrEqual(60 * MiB);
    } finally {
      child.stdin.end('bye\n');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('readSmapsRollup - a pid that does not exist throws ENOENT', () => {
    expect(() => readSmapsRollup(2 ** 22 + 1)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  describe.skipIf(regionsChildUnavailable !== null)('with the regions child', () => {
    let child: RegionsChild;
    beforeAll(async () => {
      child = await startRegionsChild();
    });
    afterAll(async () => {
      await child?.stop();
    });

    it('readSmapsEntries - MADV_FREE leaves RSS and shows LazyFree, MADV_HUGEPAGE shows AnonHugePages', () => {
      const [huge, lazy, partial, split] = readSmapsEntries(child.pid, [child.regions.huge.address, child.regions.lazy.address, child.regions.partial.address, child.regions.split.address]);
      expect(huge?.anonHugeBytes).toBe(8 * MiB);
      expect(huge?.vmFlags).toContain('hg');
      expect(lazy?.rssBytes).toBe(4 * MiB);
      // pages still in a per-CPU LRU batch keep PG_swapbacked for a moment: allow a few
      expect(lazy?.lazyFreeBytes).toBeGreaterThanOrEqual(4 * MiB - 64 * KiB);
      expect(partial?.rssBytes).toBe(1 * MiB);
      expect(split?.rssBytes).toBe(8 * KiB);
    });
  });
});
if (regionsChildUnavailable !== null) console.warn(`skipping live smaps region tests: ${regionsChildUnavailable}`);
