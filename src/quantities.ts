// Sizes and durations as people write and read them (256MiB, 10s): parsed for parameters, thresholds
// and expectations, formatted for reports and messages alike. A unit means what it says, the way
// GNU coreutils reads it: KiB/MiB/GiB (and the bare K/M/G) are powers of 1024, kB/MB/GB powers of
// 1000 — "300MB" is 300,000,000 bytes, not 300 MiB. Reports print binary units only.
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4,
  kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, tb: 1000 ** 4,
};
const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000 };

/** "256MiB", "2g", "4096" → bytes; "300MB" → 300,000,000 (decimal units are decimal). */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[(m[2] ?? '').toLowerCase() || 'b'] : undefined;
  if (!m || unit === undefined) throw new RangeError(`"${text}" is not a size: use a number of bytes or a unit, e.g. 4096, 64KiB, 256MiB, 2GiB (binary) or 300MB (decimal, 300,000,000 bytes)`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`"${text}" is too large`);
  return bytes;
}

/** "500", "500ms", "10s", "2min" → ms. */
export function parseDurationMs(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? TIME_UNITS[(m[2] ?? '').toLowerCase() || 'ms'] : undefined;
  if (!m || unit === undefined) throw new RangeError(`"${text}" is not a duration: use milliseconds or a unit, e.g. 500, 500ms, 10s, 2min`);
  return Math.round(Number(m[1]) * unit);
}

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
