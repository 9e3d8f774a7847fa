// A one-line picture of RSS over time for the terminal: the time axis resampled into a fixed
// number of cells, each drawn with one of eight block heights on a scale shared by all variants
// of an experiment, so that "back up to 257 MiB" and "stayed at 1 MiB" look different side by side.
import type { SeriesPoint } from './series.js';

const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * Resample points over [t0, t1] into `width` cells, each the maximum inside it (a peak between
 * samples is what a reader looks for); empty cells carry the previous value forward.
 */
export function resampleMax(points: SeriesPoint[], width: number, t0: number, t1: number): Array<number | null> {
  const cells: Array<number | null> = new Array<number | null>(width).fill(null);
  const span = Math.max(t1 - t0, 1e-9);
  for (const p of points) {
    if (p.tMs < t0 || p.tMs > t1) continue;
    const i = Math.min(width - 1, Math.floor(((p.tMs - t0) / span) * width));
    const prev = cells[i];
    cells[i] = prev === null || prev === undefined ? p.value : Math.max(prev, p.value);
  }
  let last: number | null = null;
  for (let i = 0; i < width; i++) {
    if (cells[i] === null) cells[i] = last;
    else last = cells[i]!;
  }
  return cells;
}

/** Draw cells on a [min, max] scale; a cell with no data yet is a space. */
export function sparkline(cells: Array<number | null>, min: number, max: number): string {
  const range = max - min;
  return cells
    .map((v) => {
      if (v === null) return ' ';
      if (range <= 0) return BLOCKS[0];
      const level = Math.round(((v - min) / range) * (BLOCKS.length - 1));
      return BLOCKS[Math.max(0, Math.min(BLOCKS.length - 1, level))];
    })
    .join('');
}
