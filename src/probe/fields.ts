// Line parsers shared by the /proc and cgroup readers. Kernel text is line-oriented with one of two
// shapes: "Name:   123 kB" (smaps, smaps_rollup, status, meminfo) and "name 123" (vmstat, memory.stat).
// These run in the sampler's hot path (every 2-20 ms), so they walk the text with indexOf and
// parseInt instead of a regex per line.

/** The kernel's "kB" is KiB (fs/proc/task_mmu.c prints pages << (PAGE_SHIFT - 10)). */
export const KIB = 1024;

/**
 * Parses "Name: value [kB]" lines between `start` and `end` into a map; values with " kB" are
 * converted to bytes, values without a unit are kept as they are. Non-numeric values are skipped.
 */
export function parseColonLines(text: string, start = 0, end = text.length): Map<string, number> {
  const out = new Map<string, number>();
  let pos = start;
  while (pos < end) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1 || nl > end) nl = end;
    const colon = text.indexOf(':', pos);
    if (colon !== -1 && colon < nl) {
      const value = parseInt(text.slice(colon + 1, nl), 10);
      if (!Number.isNaN(value)) {
        const kb = text.charCodeAt(nl - 1) === 66 /* B */ && text.charCodeAt(nl - 2) === 107 /* k */;
        out.set(text.slice(pos, colon), kb ? value * KIB : value);
      }
    }
    pos = nl + 1;
  }
  return out;
}

/** Parses "name value" lines (/proc/vmstat, cgroup memory.stat). Non-numeric values are skipped. */
export function parseSpaceLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let pos = 0;
  const end = text.length;
  while (pos < end) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = end;
    const space = text.indexOf(' ', pos);
    if (space !== -1 && space < nl) {
      const value = Number(text.slice(space + 1, nl));
      if (!Number.isNaN(value)) out.set(text.slice(pos, space), value);
    }
    pos = nl + 1;
  }
  return out;
}

/** A value that must be present: a clear error naming the file and field when the kernel text lacks it. */
export function required(fields: Map<string, number>, name: string, what: string): number {
  const value = fields.get(name);
  if (value === undefined) {
    throw new Error(`${what}: no "${name}" field; is this really ${what} text from a Linux kernel?`);
  }
  return value;
}

/** A value the kernel may not print (older kernels, config options off): null when absent. */
export function optional(fields: Map<string, number>, name: string): number | null {
  return fields.get(name) ?? null;
}
