// Samples as CSV, one row per sample, for a spreadsheet or pandas: which run it belongs to, its
// time and phase, the process totals in bytes, then each tagged region's figures. Numbers stay raw
// (bytes, ms): CSV is data, not a report.
import type { Run, Sample } from '../run/schema.js';
import { phaseAt } from './series.js';

const TOTAL_COLUMNS: Array<[string, (s: Sample) => number | null | undefined]> = [
  ['rssBytes', (s) => s.rssBytes],
  ['pssBytes', (s) => s.pssBytes],
  ['anonBytes', (s) => s.anonBytes],
  ['anonHugeBytes', (s) => s.anonHugeBytes],
  ['lazyFreeBytes', (s) => s.lazyFreeBytes],
  ['swapBytes', (s) => s.swapBytes],
  ['memFreeBytes', (s) => s.memFreeBytes],
  ['cgroupUsageBytes', (s) => s.cgroup?.usageBytes],
  ['cgroupAnonThpBytes', (s) => s.cgroup?.anonThpBytes],
];
const REGION_FIELDS = ['sizeBytes', 'rssBytes', 'anonHugeBytes', 'lazyFreeBytes', 'swapBytes'] as const;

/** RFC 4180 quoting; text that a spreadsheet would run as a formula (=, +, -, @) is prefixed with '. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function renderCsv(runs: Run[]): string {
  const regions = [...new Set(runs.flatMap((r) => r.variants.flatMap((v) => v.samples.flatMap((s) => Object.keys(s.regions)))))].sort();
  const head = ['experiment', 'variant', 'repeat', 'tMs', 'phase', ...TOTAL_COLUMNS.map(([n]) => n), ...regions.flatMap((r) => REGION_FIELDS.map((f) => `region.${r}.${f}`))];
  const lines = [head.map(csvField).join(',')];
  for (const run of runs) {
    for (const v of run.variants) {
      for (const s of v.samples) {
        const row: Array<string | number | null | undefined> = [run.experiment.id, v.variant, v.repeat, s.tMs, phaseAt(v.marks, s.tMs)];
        for (const [, get] of TOTAL_COLUMNS) row.push(get(s));
        for (const r of regions) for (const f of REGION_FIELDS) row.push(s.regions[r]?.[f]);
        lines.push(row.map(csvField).join(','));
      }
    }
  }
  return lines.join('\r\n') + '\r\n';
}
