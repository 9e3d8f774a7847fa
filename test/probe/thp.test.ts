import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBracketed, readHugePageSize, readThpSettings } from '../../src/probe/index.js';
import { FIXTURES } from './regions-child.js';

const machine = path.join(FIXTURES, 'machine');

describe('THP settings', () => {
  it('parseBracketed - the selected value of a sysfs choice list', () => {
    expect(parseBracketed('always [madvise] never\n')).toBe('madvise');
    expect(parseBracketed('always defer defer+madvise [madvise] never')).toBe('madvise');
    expect(parseBracketed('[always] inherit madvise never')).toBe('always');
    expect(parseBracketed('always madvise never')).toBeNull();
  });

  it('readThpSettings - the captured tree (fixture captured on this machine)', () => {
    expect(readThpSettings(machine)).toEqual({
      enabled: 'madvise',
      defrag: 'madvise',
      scanSleepMs: 10000,
      pagesToScan: 4096,
      maxPtesNone: 511,
      fullScans: 1,
      pagesCollapsed: 0,
    });
    expect(readHugePageSize(machine)).toBe(2 * 1024 * 1024);
  });

  it('readThpSettings - a kernel without THP gives nulls, not an error', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rsslab-probe-nothp-'));
    try {
      expect(readThpSettings(empty)).toEqual({ enabled: null, defrag: null, scanSleepMs: null, pagesToScan: null, maxPtesNone: null, fullScans: null, pagesCollapsed: null });
      expect(readHugePageSize(empty)).toBeNull();
    } finally {
      fs.rmSync(empty, { recursive: true });
    }
  });

  it('readThpSettings - the live kernel reports a mode and khugepaged numbers', () => {
    // the files read here directly, not through the code's own path constant or parser
    const sys = (name: string) => fs.readFileSync(path.join('/sys/kernel/mm/transparent_hugepage', name), 'latin1');
    const live = readThpSettings();
    expect(live.enabled).toBe(/\[(always|madvise|never)\]/.exec(sys('enabled'))?.[1]);
    expect(live.defrag).toBe(/\[([a-z+]+)\]/.exec(sys('defrag'))?.[1]);
    expect(live.scanSleepMs).toBe(Number(sys('khugepaged/scan_sleep_millisecs')));
    expect(live.pagesToScan).toBe(Number(sys('khugepaged/pages_to_scan')));
    expect(live.maxPtesNone).toBe(Number(sys('khugepaged/max_ptes_none')));
    // hpage_pmd_size is the PMD size: 512 pages of the kernel's page size (x86-64 and arm64 with 4 KiB pages)
    expect(readHugePageSize()).toBe(Number(sys('hpage_pmd_size')));
    expect(readHugePageSize()).toBe(512 * Number(/KernelPageSize:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/smaps', 'latin1'))?.[1]) * 1024);
  });
});
