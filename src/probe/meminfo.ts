// /proc/meminfo: the machine's view. MemFree is where returned memory shows up for everyone else:
// in seed 004 RSS fell by 256 MiB after MADV_DONTNEED while MemFree did not move (the huge pages
// were only queued for a deferred split).
import path from 'node:path';
import { optional, parseColonLines, required } from './fields.js';
import { readText } from './procfile.js';

export interface MemInfo {
  memTotalBytes: number;
  memFreeBytes: number;
  memAvailableBytes: number | null; // Linux 3.14+
  anonHugePagesBytes: number | null; // CONFIG_TRANSPARENT_HUGEPAGE
  anonPagesBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
  /** hugetlbfs page size, not THP's; used only as a fallback when hpage_pmd_size is missing */
  hugepagesizeBytes: number | null;
}

export function parseMeminfo(text: string): MemInfo {
  const f = parseColonLines(text);
  return {
    memTotalBytes: required(f, 'MemTotal', '/proc/meminfo'),
    memFreeBytes: required(f, 'MemFree', '/proc/meminfo'),
    memAvailableBytes: optional(f, 'MemAvailable'),
    anonHugePagesBytes: optional(f, 'AnonHugePages'),
    anonPagesBytes: optional(f, 'AnonPages'),
    swapTotalBytes: optional(f, 'SwapTotal'),
    swapFreeBytes: optional(f, 'SwapFree'),
    hugepagesizeBytes: optional(f, 'Hugepagesize'),
  };
}

export function readMeminfo(root = '/'): MemInfo {
  return parseMeminfo(readText(path.join(root, 'proc', 'meminfo')));
}
