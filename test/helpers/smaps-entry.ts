// Test-only: the /proc/<pid>/smaps entry of the mapping that starts at a given address, fields in bytes.
// (The real probe lives in src/probe/; the addon tests do not depend on it.)
import { readFileSync } from 'node:fs';

export interface SmapsEntry {
  start: bigint;
  end: bigint;
  /** every "Key: N kB" line, converted to bytes: Rss, LazyFree, AnonHugePages, … */
  bytes: Record<string, number>;
  /** the VmFlags line's flags: 'hg' (MADV_HUGEPAGE), 'nh' (MADV_NOHUGEPAGE), … */
  vmFlags: string[];
}

export function smapsEntry(address: bigint, pid: number | 'self' = 'self'): SmapsEntry | undefined {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const lines = text.split('\n');
  const header = /^([0-9a-f]+)-([0-9a-f]+) /;
  for (let i = 0; i < lines.length; i++) {
    const m = header.exec(lines[i] ?? '');
    if (m === null || BigInt('0x' + m[1]) !== address) continue;
    const entry: SmapsEntry = { start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), bytes: {}, vmFlags: [] };
    for (let j = i + 1; j < lines.length && !header.test(lines[j] ?? ''); j++) {
      const line = lines[j] ?? '';
      const kb = /^(\w+):\s+(\d+) kB$/.exec(line);
      if (kb) entry.bytes[kb[1] as string] = Number(kb[2]) * 1024;
      else if (line.startsWith('VmFlags:')) entry.vmFlags = line.slice(8).trim().split(/\s+/);
    }
    return entry;
  }
  return undefined;
}

/** A field of the mapping at `address`, bytes; throws when the mapping or field is missing. */
export function smapsField(address: bigint, field: string): number {
  const e = smapsEntry(address);
  if (e === undefined) throw new Error(`no mapping starts at 0x${address.toString(16)} in /proc/self/smaps`);
  const v = e.bytes[field];
  if (v === undefined) throw new Error(`smaps entry at 0x${address.toString(16)} has no ${field} line`);
  return v;
}
