import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMeminfo, parseStatus, parseVmstatThp, readMeminfo, readStatus, readVmstatThp } from '../../src/probe/index.js';
import { FIXTURES } from './regions-child.js';

const KiB = 1024;
const machine = path.join(FIXTURES, 'machine');
const pid = (JSON.parse(fs.readFileSync(path.join(machine, 'regions.json'), 'utf8')) as { pid: number }).pid;
const read = (...parts: string[]) => fs.readFileSync(path.join(machine, ...parts), 'latin1');

describe('status parser (fixture captured on this machine)', () => {
  it('parseStatus - RSS split, high-water mark, threads and THP_enabled', () => {
    expect(parseStatus(read('proc', String(pid), 'status'))).toEqual({
      vmRssBytes: 14824 * KiB,
      rssAnonBytes: 13416 * KiB,
      rssFileBytes: 1408 * KiB,
      rssShmemBytes: 0,
      vmHwmBytes: 18452 * KiB,
      vmSizeBytes: 31148 * KiB,
      vmSwapBytes: 0,
      threads: 1,
      thpEnabled: 1,
    });
  });

  it('parseStatus - THP_enabled 0 after prctl(PR_SET_THP_DISABLE) reads as 0', () => {
    const disabled = read('proc', String(pid), 'status').replace('THP_enabled:\t1', 'THP_enabled:\t0');
    expect(parseStatus(disabled).thpEnabled).toBe(0);
  });

  it('parseStatus - text without VmRSS (kernel thread) is a clear error', () => {
    expect(() => parseStatus('Name:\tkthreadd\nThreads:\t1\n')).toThrow(/VmRSS/);
  });
});

describe('vmstat and meminfo parsers (fixture captured on this machine)', () => {
  it('parseVmstatThp - every thp_ counter plus nr_anon_transparent_hugepages', () => {
    const c = parseVmstatThp(read('proc', 'vmstat'));
    expect(c.thp_fault_alloc).toBe(6);
    expect(c.thp_collapse_alloc).toBe(0);
    expect(c.thp_split_page).toBe(0);
    expect(c.thp_deferred_split_page).toBe(2); // the split region's two huge pages, queued
    expect(c.thp_split_pmd).toBe(2);
    expect(c.nr_anon_transparent_hugepages).toBe(4);
    expect(c.nr_anon_pages).toBe(8575);
    const thpNames = read('proc', 'vmstat').split('\n').filter((l) => l.startsWith('thp_')).length;
    expect(Object.keys(c).filter((k) => k.startsWith('thp_'))).toHaveLength(thpNames);
    expect(Object.keys(c).some((k) => k.startsWith('nr_free'))).toBe(false);
  });

  it('parseVmstatThp - text that is not vmstat is a clear error', () => {
    expect(() => parseVmstatThp('MemTotal: 1 kB\n')).toThrow(/vmstat/);
  });

  it('parseMeminfo - totals, free, available and AnonHugePages in bytes', () => {
    const m = parseMeminfo(read('proc', 'meminfo'));
    expect(m.memTotalBytes).toBe(24684084 * KiB);
    expect(m.memFreeBytes).toBe(24267712 * KiB);
    expect(m.memAvailableBytes).toBe(24362180 * KiB);
    expect(m.anonHugePagesBytes).toBe(8192 * KiB);
    expect(m.hugepagesizeBytes).toBe(2048 * KiB);
  });
});

describe('status, vmstat and meminfo readers (live kernel)', () => {
  it('readStatus - RSS as /proc/self/stat says it, threads as /proc/self/task lists them', () => {
    // other doors to the same kernel figures: stat's rss field (what process.memoryUsage.rss() reads)
    // and one task directory per thread; RSS moves a little between the reads
    const before = process.memoryUsage.rss();
    const s = readStatus('self');
    const after = process.memoryUsage.rss();
    expect(s.vmRssBytes).toBeGreaterThanOrEqual(Math.min(before, after) - 512 * KiB);
    expect(s.vmRssBytes).toBeLessThanOrEqual(Math.max(before, after) + 512 * KiB);
    expect(s.threads).toBe(fs.readdirSync('/proc/self/task').length);
    expect(s.vmHwmBytes ?? 0).toBeGreaterThanOrEqual(s.vmRssBytes);
  });

  it('readVmstatThp and readMeminfo - counters between two direct reads of vmstat; MemTotal as sysinfo(2) says', () => {
    const direct = () => Number(/^thp_fault_alloc (\d+)$/m.exec(fs.readFileSync('/proc/vmstat', 'latin1'))?.[1]);
    const before = direct();
    const c = readVmstatThp();
    const after = direct();
    expect(c.thp_fault_alloc).toBeGreaterThanOrEqual(before); // a monotonic counter
    expect(c.thp_fault_alloc).toBeLessThanOrEqual(after);
    expect(readMeminfo().memTotalBytes).toBe(os.totalmem());
  });
});
