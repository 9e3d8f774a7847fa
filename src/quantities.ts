// Sizes and durations as people write them (256MiB, 10s), for parameters, thresholds and
// expectations alike. Binary units: sizes of memory are powers of two.
const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };
const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000 };

/** "256MiB", "2g", "4096" → bytes (binary units: sizes of memory are powers of two). */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[(m[2] ?? '').toLowerCase() || 'b'] : undefined;
  if (!m || unit === undefined) throw new RangeError(`"${text}" is not a size: use a number of bytes or a unit, e.g. 4096, 64KiB, 256MiB, 2GiB`);
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
