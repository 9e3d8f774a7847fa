import { describe, expect, it } from 'vitest';
import { csvField, renderCsv } from '../../src/report/csv.js';
import { madvFreeRun } from './fixture.js';

function parseCsv(text: string): string[][] {
  return text
    .trimEnd()
    .split('\r\n')
    .map((l) => l.split(','));
}

describe('samples CSV', () => {
  it('csv - one row per sample, raw bytes, phase from the marks, region columns', () => {
    const run = madvFreeRun();
    const rows = parseCsv(renderCsv([run]));
    const head = rows[0]!;
    expect(head.slice(0, 6)).toEqual(['experiment', 'variant', 'repeat', 'tMs', 'phase', 'rssBytes']);
    expect(head).toContain('region.main.rssBytes');
    const samples = run.variants.reduce((n, v) => n + v.samples.length, 0);
    expect(rows.length - 1).toBe(samples);
    for (const r of rows) expect(r.length).toBe(head.length);
    const col = (name: string): number => head.indexOf(name);
    const free = run.variants.find((v) => v.variant === 'free')!;
    const afterFree = free.samples.find((s) => s.tMs > free.marks.find((m) => m.phase === 'hold')!.tMs)!;
    const row = rows.find((r) => r[1] === 'free' && Number(r[col('tMs')]) === afterFree.tMs)!;
    expect(row[col('phase')]).toBe('hold');
    expect(Number(row[col('rssBytes')])).toBe(afterFree.rssBytes);
    // MADV_FREE: the region stays resident, all of it lazily freed
    expect(Number(row[col('region.main.rssBytes')])).toBe(64 * 1024 * 1024);
    expect(Number(row[col('region.main.lazyFreeBytes')])).toBeGreaterThan(60 * 1024 * 1024);
  });

  it('csvField - quotes commas and quotes, defuses spreadsheet formulas, leaves numbers raw', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField(-5)).toBe('-5');
    expect(csvField(null)).toBe('');
  });
});
