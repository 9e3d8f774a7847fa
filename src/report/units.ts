// The one formatter of numbers for every report. Data stays in bytes and milliseconds
// (DESIGN.md: "Numbers are in bytes in data, formatted only in reports"); this file decides
// how they read: binary units with one decimal ("256.0 MiB"), durations as "350 ms" or "1.2 s".
import { unitOf } from '../check/metric-unit.js';
export { unitOf, type Unit } from '../check/metric-unit.js';

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Bytes in binary units, one decimal: 512 B, 4.0 KiB, 256.0 MiB, 1.5 GiB. Negative values keep their sign. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  if (value < 1024) return `${sign}${Math.round(value)} B`;
  let unit = 0;
  // move up while the value would print as 1024.0 or more in the current unit
  while (value >= 1024 * 0.99995 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${sign}${value.toFixed(1)} ${BINARY_UNITS[unit]}`;
}

/** Bytes as MiB, the unit of every chart axis (a number, not a string). */
export function bytesToMiB(bytes: number): number {
  return bytes / (1024 * 1024);
}

/** Milliseconds: "350 ms" below a second, "1.2 s" below a minute, "2 min 44 s" above. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  const totalS = Math.round(abs / 1000);
  return `${sign}${Math.floor(totalS / 60)} min ${totalS % 60} s`;
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
