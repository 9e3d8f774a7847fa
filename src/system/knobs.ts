// The THP and khugepaged knobs rsslab may touch (seed 004: khugepaged refills MADV_DONTNEED'd ranges
// because max_ptes_none defaults to 511; the experiment speeds khugepaged up to show it in seconds).
// Only the allow-list in knob-names.ts is ever written, and every value is checked against the
// kernel's own accepted range first, so a bad value is a RangeError here, never a half-applied change.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KNOB_NAMES, THP_SYSFS, type KnobName } from './knob-names.js';
import { readControl } from './sysfs.js';

export { KNOB_NAMES, THP_SYSFS, type KnobName };

const ENABLED_VALUES = ['always', 'madvise', 'never'] as const;
const DEFRAG_VALUES = ['always', 'defer', 'defer+madvise', 'madvise', 'never'] as const;
const UINT_MAX = 4294967295;

export interface KnobOptions {
  /** file system root; a fixture tree in tests */
  root?: string;
}

export function thpDir(root = '/'): string {
  return join(root, THP_SYSFS);
}

export function knobPath(name: KnobName, root = '/'): string {
  return join(thpDir(root), name);
}

export function isKnobName(name: string): name is KnobName {
  return (KNOB_NAMES as readonly string[]).includes(name);
}

/**
 * max_ptes_none's upper bound is HPAGE_PMD_NR - 1: 511 with 4 KiB pages and 2 MiB huge pages
 * (x86_64), different on 64 KiB-page arm64. Read from hpage_pmd_size where the kernel shows it.
 */
function maxPtesNoneLimit(root: string): number {
  try {
    const pmdBytes = Number(readFileSync(join(thpDir(root), 'hpage_pmd_size'), 'utf8').trim());
    const pageBytes = 4096;
    if (Number.isInteger(pmdBytes) && pmdBytes > pageBytes) return pmdBytes / pageBytes - 1;
  } catch {
    // fall through
  }
  return 511;
}

function integerIn(name: KnobName, value: string | number, min: number, max: number): string {
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!/^\d+$/.test(text)) {
    throw new TypeError(`knob ${name} takes an integer, got ${JSON.stringify(value)}`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new RangeError(`knob ${name} must be between ${min} and ${max} (the kernel's range), got ${text}`);
  }
  return String(n);
}

function oneOf(name: KnobName, value: string | number, allowed: readonly string[]): string {
  if (typeof value !== 'string') throw new TypeError(`knob ${name} takes one of ${allowed.join('|')}, got the number ${value}`);
  const text = value.trim();
  if (!allowed.includes(text)) throw new RangeError(`knob ${name} must be one of ${allowed.join('|')}, got ${JSON.stringify(value)}`);
  return text;
}

/** The text to write for `value`, or a TypeError (unknown knob, wrong type) / RangeError (out of the kernel's range). */
export function validateKnob(name: string, value: unknown, options: KnobOptions = {}): string {
  if (!isKnobName(name)) {
    throw new TypeError(`unknown knob "${name}": rsslab only changes ${KNOB_NAMES.join(', ')}`);
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new TypeError(`knob ${name} takes a string or number, got ${typeof value}`);
  }
  switch (name) {
    case 'enabled':
      return oneOf(name, value, ENABLED_VALUES);
    case 'defrag':
      return oneOf(name, value, DEFRAG_VALUES);
    case 'khugepaged/scan_sleep_millisecs':
      return integerIn(name, value, 0, UINT_MAX);
    case 'khugepaged/pages_to_scan':
      return integerIn(name, value, 1, UINT_MAX); // the kernel refuses 0
    case 'khugepaged/max_ptes_none':
      return integerIn(name, value, 0, maxPtesNoneLimit(options.root ?? '/'));
    case 'khugepaged/defrag':
      return integerIn(name, value, 0, 1);
  }
}

/** Validates a whole change set before anything is written; returns [name, text] pairs in order. */
export function validateChanges(changes: Partial<Record<string, string | number>>, options: KnobOptions = {}): Array<[KnobName, string]> {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) {
    throw new TypeError('knob changes must be an object like { "khugepaged/max_ptes_none": 0 }');
  }
  return Object.entries(changes).map(([name, value]) => [name as KnobName, validateKnob(name, value, options)]);
}

export type KnobSnapshot = Record<KnobName, string | null>;

/** Current value of every allow-listed knob (the bracketed choice for enabled/defrag); null where the kernel lacks it. */
export function snapshotKnobs(options: KnobOptions = {}): KnobSnapshot {
  const root = options.root ?? '/';
  const snapshot = {} as KnobSnapshot;
  for (const name of KNOB_NAMES) {
    try {
      snapshot[name] = readControl(knobPath(name, root));
    } catch {
      snapshot[name] = null;
    }
  }
  return snapshot;
}

export interface CanTune {
  ok: boolean;
  reason: string;
}

/** Whether this process could write the knobs at all: root (on the real /sys) and write access to each file. */
export function canTune(options: KnobOptions = {}): CanTune {
  const root = options.root ?? '/';
  if (!existsSync(knobPath('enabled', root))) {
    return { ok: false, reason: `this kernel has no transparent huge pages (${thpDir(root)} is missing)` };
  }
  if (root === '/' && typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    return { ok: false, reason: 'changing THP/khugepaged settings needs root (run with sudo)' };
  }
  for (const name of KNOB_NAMES) {
    const path = knobPath(name, root);
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      return { ok: false, reason: `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
    }
  }
  return { ok: true, reason: root === '/' ? 'root, and the THP knobs are writable' : `knobs under ${root} are writable` };
}
