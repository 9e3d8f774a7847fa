// Page-map grids are shrunk straight from the run-length text: the same cells as expanding first,
// at a cost that does not grow with the number of pages the map claims.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePages, encodePages } from '../../src/run/pagemap-codec.js';
import { rlePages, shrinkRle } from '../../src/report/pagemap-cells.js';
import { pageGrids, shrinkPages } from '../../src/report/pagemap-grid.js';
import { rlePageCount } from '../../src/run/pagemap-limits.js';

describe('page map cells from run-length text', () => {
  it('shrinkRle - the same cells as shrinkPages of the expanded map (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('.', 'r', 'H', 'L', 's'), fc.integer({ min: 1, max: 700 })), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 64 }), (runs, cells) => {
        const raw = runs.map(([c, n]) => c.repeat(n)).join('');
        const rle = encodePages(raw);
        const perCell = Math.ceil(raw.length / Math.min(cells, raw.length));
        const n = Math.ceil(raw.length / perCell);
        expect(rlePages(rle)).toBe(raw.length);
        expect(shrinkRle(rle, perCell, n)).toBe(shrinkPages(decodePages(rle), perCell, n));
      }),
      { numRuns: 300 },
    );
  });
  it('pageGrids - a map of 2^26 pages (256 GiB) becomes 512 cells without being expanded', () => {
    const before = process.memoryUsage().heapUsed;
    const grids = pageGrids([{ tMs: 0, phase: 'p', region: 'big', pageSize: 4096, source: 'pagemap', pages: `${2 ** 25}r${2 ** 25}.` }]);
    expect(grids[0]!.pages).toBe(2 ** 26);
    expect(grids[0]!.snapshots[0]!.cells).toBe('r'.repeat(256) + '.'.repeat(256));
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 << 20);
  });
  it('rlePageCount - refuses past the limit before counting on, and names bad characters', () => {
    expect(rlePageCount('999999999r'.repeat(3500), 16384)).toEqual({ ok: false, reason: 'it claims more than 16384 pages' });
    expect(rlePageCount('3r2.', 5)).toEqual({ ok: true, pages: 5 });
    expect(rlePageCount('3r\u001b', 5)).toMatchObject({ ok: false });
    expect(rlePageCount('12', 5)).toEqual({ ok: false, reason: 'it ends with a count and no page state' });
  });
});
