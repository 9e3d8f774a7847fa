// Headline figures from several machines, put into levels so the question "which setting does it
// follow?" (depends-on.ts) can be asked of numbers too: sorted values fall into one level until the
// next is more than LEVEL_RATIO times the last and further than the unit's floor from it. 16 MiB
// against 64 MiB after idle is two levels; 63.9 against 64.1 MiB, or 20 against 23 ms, is one.
import { unitOf } from './metric-unit.js';

export const LEVEL_RATIO = 1.5;

/** Differences smaller than this are never a level of their own (page-size noise, timer jitter). */
const FLOOR = { bytes: 1024 * 1024, ms: 100, count: 0 } as const;

export interface Level {
  min: number;
  max: number;
}

/** Per value, the index of its level in `levels` (null for a missing value). */
export function figureLevels(metric: string, values: Array<number | null>): { levels: Level[]; of: Array<number | null> } {
  const floor = FLOOR[unitOf(metric)];
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  const levels: Level[] = [];
  for (const v of known) {
    const last = levels[levels.length - 1];
    const apart = last !== undefined && v - last.max > floor && (last.max <= 0 ? v > floor : v / last.max > LEVEL_RATIO);
    if (!last || apart) levels.push({ min: v, max: v });
    else last.max = v;
  }
  const of = values.map((v) => (v === null || !Number.isFinite(v) ? null : levels.findIndex((l) => v >= l.min && v <= l.max)));
  return { levels, of };
}
