import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBracketed, readHugePageSize, readThpSettings, THP_DIR } from '../../src/probe/index.js';
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
    const live = readThpSettings();
    expect(['always', 'madvise', 'never']).toContain(live.enabled);
    expect(live.enabled).toBe(parseBracketed(fs.readFileSync(path.join('/', THP_DIR, 'enabled'), 'latin1')));
    expect(live.scanSleepMs).toBeGreaterThanOrEqual(0);
    expect(live.maxPtesNone).toBeGreaterThanOrEqual(0);
    expect(readHugePageSize()).toBe(Number(fs.readFileSync(path.join('/', THP_DIR, 'hpage_pmd_size'), 'latin1')));
  });
});
