// The one formatter of numbers for every report. Data stays in bytes and milliseconds
// (numbers are bytes in data and are formatted only in reports); this file decides
// how they read: binary units with one decimal ("256.0 MiB"), durations as "350 ms" or "1.2 s".
import { unitOf } from '../check/metric-unit.js';
export { unitOf, type Unit } from '../check/metric-unit.js';

export { formatBytes, formatMs } from '../quantities.js';
import { formatBytes, formatMs } from '../quantities.js';

/** Bytes as MiB, the unit of every chart axis (a number, not a string). */
export function bytesToMiB(bytes: number): number {
  return bytes / (1024 * 1024);
}

/** A plain count or ratio: integers as they are (thousands grouped), others with up to 3 significant decimals. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

/** A value in the unit its name implies; "—" when there is no value. */
export function formatValue(ref: string, value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  switch (unitOf(ref)) {
    case 'bytes':
      return formatBytes(value);
    case 'ms':
      return formatMs(value);
    default:
      return formatCount(value);
  }
}

/** An experiment parameter: sizes and durations by their names' units (regionBytes, holdMs), the rest as given. */
export function formatParam(name: string, value: number | string | boolean): string {
  if (typeof value !== 'number') return String(value);
  if (/Bytes$/.test(name)) return formatBytes(value);
  if (/Ms$/.test(name)) return formatMs(value);
  return String(value);
}
