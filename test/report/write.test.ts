import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFormats, pathInside, writeFileAtomic, writeReports } from '../../src/report/write.js';
import { madvFreeRun } from './fixture.js';

describe('writing reports', () => {
  it('writeReports - writes report.html, summary.md and samples.csv, leaving no temporary files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsslab-report-'));
    const written = await writeReports([madvFreeRun()], dir);
    expect(written.map((p) => p.slice(dir.length + 1)).sort()).toEqual(['report.html', 'samples.csv', 'summary.md']);
    expect(readdirSync(dir).sort()).toEqual(['report.html', 'samples.csv', 'summary.md']);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('writeReports - only the formats asked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsslab-report-'));
    await writeReports([madvFreeRun()], dir, { formats: parseFormats('md') });
    expect(readdirSync(dir)).toEqual(['summary.md']);
  });

  it('writeFileAtomic - replaces an existing file whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsslab-report-'));
    await writeFileAtomic(dir, 'a.txt', 'first version, longer');
    await writeFileAtomic(dir, 'a.txt', 'second');
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('second');
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });

  it('pathInside - refuses names escaping the output folder', () => {
    expect(() => pathInside('/tmp/out', '../etc/passwd')).toThrow(RangeError);
    expect(() => pathInside('/tmp/out', '/etc/passwd')).toThrow(/not inside/);
    expect(() => pathInside('/tmp/out', '')).toThrow(RangeError);
    expect(pathInside('/tmp/out', 'report.html')).toBe('/tmp/out/report.html');
  });

  it('parseFormats - names the unknown format and the accepted ones', () => {
    expect(parseFormats('html, markdown,csv')).toEqual(['html', 'md', 'csv']);
    expect(() => parseFormats('html,pdf')).toThrow('unknown report format "pdf": use html, md, csv');
  });
});
