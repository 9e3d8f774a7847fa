import { describe, expect, it } from 'vitest';
import { encodePages } from '../../src/run/pagemap-codec.js';
import { cellState, pageGrids, shrinkPages } from '../../src/report/pagemap-grid.js';
import { madvFreeRun, variantOf } from './fixture.js';

describe('page map grid', () => {
  it('cellState - the majority wins, ties go to H > r > L > s > .', () => {
    expect(cellState('...r', 0, 4)).toBe('.');
    expect(cellState('..rr', 0, 4)).toBe('r');
    expect(cellState('rrHH', 0, 4)).toBe('H');
    expect(cellState('LLss', 0, 4)).toBe('L');
  });

  it('shrinkPages - after a seed-004 partial DONTNEED (511 absent, 1 resident per 2 MiB) the cells read absent', () => {
    const pages = '.'.repeat(511).concat('r').repeat(128); // 256 MiB region
    const cells = shrinkPages(pages, 128, 512);
    expect(cells).toBe('.'.repeat(512));
    expect(shrinkPages('H'.repeat(65536), 128, 512)).toBe('H'.repeat(512));
  });

  it('pageGrids - decodes the run-length pages of a real run into at most 512 cells per snapshot', () => {
    const free = variantOf(madvFreeRun(), 'free');
    const [grid] = pageGrids(free.pageMaps);
    expect(grid!.region).toBe('main');
    expect(grid!.pages).toBe(16384); // 64 MiB of 4 KiB pages
    expect(grid!.pagesPerCell).toBe(32);
    expect(grid!.snapshots.length).toBe(free.pageMaps.length);
    for (const s of grid!.snapshots) expect(s.cells.length).toBe(512);
    // measured: after MADV_FREE and the hold, every page of the region is lazily freed
    const last = grid!.snapshots[grid!.snapshots.length - 1]!;
    expect(last.cells).toBe('L'.repeat(512));
    expect(encodePages(last.cells)).toBe('512L');
  });
});
