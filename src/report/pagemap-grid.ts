// A region's page maps over time, shrunk to a grid a chart can draw: at most `maxColumns` cells per
// snapshot, each cell standing for a run of neighbouring pages. A 256 MiB region is 65536 pages;
// 512 cells of 128 pages each still show khugepaged refilling it 2 MiB (one cell = 512 KiB) at a time.
import { rlePages, shrinkRle } from './pagemap-cells.js';
import type { Mark, PageMap } from '../run/schema.js';

/** Page states by display priority when a cell's pages tie: huge > resident > lazily freed > swapped > absent. */
export const PAGE_STATES = ['H', 'r', 'L', 's', '.'] as const;
export type PageState = (typeof PAGE_STATES)[number];

export interface PageGrid {
  region: string;
  pageSize: number;
  /** pages in the largest snapshot */
  pages: number;
  /** pages per cell */
  pagesPerCell: number;
  /** what the flags were read from, e.g. "pagemap+kpageflags" (several when it changed between snapshots) */
  source: string;
  /** `label`: what the column shows, e.g. "end of free" or "idle +1.5 s" */
  snapshots: Array<{ tMs: number; phase: string; label?: string; cells: string }>;
}

/**
 * Name a snapshot by what it shows. The sampler takes one the moment a phase is marked — before
 * the phase has done anything — so it is the picture of the END of the phase before: called
 * "free" it read as "free did nothing"; called "end of free" (taken at the next mark) it shows the holes.
 */
export function snapshotLabel(marks: Mark[], phase: string, tMs: number): string {
  const i = marks.findIndex((m) => m.phase === phase && Math.abs(m.tMs - tMs) < 1);
  if (i > 0) return `end of ${marks[i - 1]!.phase}`;
  if (i === 0) return `before ${phase}`;
  const since = [...marks].reverse().find((m) => m.tMs <= tMs);
  return since ? `${since.phase} +${((tMs - since.tMs) / 1000).toFixed(1)} s` : phase;
}

/**
 * The state most pages of the cell are in; ties go to the higher priority (H > r > L > s > .).
 * Majority rather than "any": after the seed-004 partial MADV_DONTNEED one page in 512 stays
 * resident, and a cell must read as empty then, not as resident.
 */
export function cellState(pages: string, from: number, to: number): PageState {
  const counts: Record<string, number> = {};
  for (let i = from; i < to; i++) {
    const c = pages[i]!;
    counts[c] = (counts[c] ?? 0) + 1;
  }
  let best: PageState = '.';
  let bestCount = -1;
  for (const state of PAGE_STATES) {
    const n = counts[state] ?? 0;
    if (n > bestCount) {
      best = state;
      bestCount = n;
    }
  }
  return best;
}

/** Shrink one decoded page string to `cells` cells of `perCell` pages (pages past the end count as absent). */
export function shrinkPages(pages: string, perCell: number, cells: number): string {
  let out = '';
  for (let c = 0; c < cells; c++) {
    const from = c * perCell;
    const to = Math.min(pages.length, from + perCell);
    out += from >= to ? '.' : cellState(pages, from, to);
  }
  return out;
}

/** Evenly thin a list to at most `max` items, keeping the first and the last. */
export function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (items.length - 1)) / (max - 1))]!);
  return out;
}

/** One grid per region named in the page maps, snapshots in time order. */
export function pageGrids(pageMaps: PageMap[], maxColumns = 512, maxSnapshots = 240, marks: Mark[] = []): PageGrid[] {
  const byRegion = new Map<string, PageMap[]>();
  for (const pm of pageMaps) {
    const list = byRegion.get(pm.region) ?? [];
    list.push(pm);
    byRegion.set(pm.region, list);
  }
  const grids: PageGrid[] = [];
  for (const [region, maps] of byRegion) {
    const ordered = thin([...maps].sort((a, b) => a.tMs - b.tMs), maxSnapshots);
    // sized and shrunk from the run-length form: a map is never expanded page by page here
    let pages = 0;
    for (const pm of ordered) pages = Math.max(pages, rlePages(pm.pages));
    if (pages === 0) continue;
    const perCell = Math.ceil(pages / Math.min(maxColumns, pages));
    const cells = Math.ceil(pages / perCell);
    grids.push({
      region,
      pageSize: ordered[0]!.pageSize,
      pages,
      pagesPerCell: perCell,
      source: [...new Set(ordered.map((pm) => pm.source))].join(', '),
      snapshots: ordered.map((pm) => ({ tMs: pm.tMs, phase: pm.phase, label: snapshotLabel(marks, pm.phase, pm.tMs), cells: shrinkRle(pm.pages, perCell, cells) })),
    });
  }
  return grids;
}
