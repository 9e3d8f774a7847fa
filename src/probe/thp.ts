// THP and khugepaged settings from /sys/kernel/mm/transparent_hugepage. Every Run records the
// settings actually in force (seed 004: the same program regrows in 2 minutes or in hours depending
// on scan_sleep_millisecs and pages_to_scan, and not at all with max_ptes_none=0). A missing file
// (THP compiled out, an older kernel) reads as null, never an error.
import path from 'node:path';
import type { ThpSettings } from '../run/schema.js';
import { readTextIfPresent } from './procfile.js';

export const THP_DIR = 'sys/kernel/mm/transparent_hugepage';

/** The selected value of a sysfs choice list: "always [madvise] never" → "madvise"; null when none is bracketed. */
export function parseBracketed(text: string): string | null {
  const open = text.indexOf('[');
  const close = text.indexOf(']', open + 1);
  if (open === -1 || close === -1) return null;
  const value = text.slice(open + 1, close).trim();
  return value === '' ? null : value;
}

function parseInteger(text: string | null): number | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  return Number(trimmed);
}

function thpFile(root: string, name: string): string | null {
  return readTextIfPresent(path.join(root, THP_DIR, name));
}

export function readThpSettings(root = '/'): ThpSettings {
  const enabled = thpFile(root, 'enabled');
  const defrag = thpFile(root, 'defrag');
  return {
    enabled: enabled === null ? null : parseBracketed(enabled),
    defrag: defrag === null ? null : parseBracketed(defrag),
    scanSleepMs: parseInteger(thpFile(root, 'khugepaged/scan_sleep_millisecs')),
    pagesToScan: parseInteger(thpFile(root, 'khugepaged/pages_to_scan')),
    maxPtesNone: parseInteger(thpFile(root, 'khugepaged/max_ptes_none')),
    fullScans: parseInteger(thpFile(root, 'khugepaged/full_scans')),
    pagesCollapsed: parseInteger(thpFile(root, 'khugepaged/pages_collapsed')),
  };
}

/** THP's PMD size in bytes (2 MiB on x86_64), null when THP is compiled out or the kernel predates the file. */
export function readHugePageSize(root = '/'): number | null {
  return parseInteger(thpFile(root, 'hpage_pmd_size'));
}
