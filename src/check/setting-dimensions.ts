// The recorded settings a variant ran under, as named dimensions with one text value each, so Runs
// from different machines can be lined up and an effect traced to what differs between them. Machine
// dimensions come from Run.machine (what was found when the Run began), variant ones from what the
// runner recorded as in force while that variant's child ran: with --tune-system they differ (the
// variant's knobs, khugepaged sped up), and they are what the kernel actually did its work under.
import type { Run, ThpSettings, VariantRun } from '../run/schema.js';

export type DimensionScope = 'machine' | 'run' | 'variant';

export interface Dimension {
  id: string;
  label: string;
  scope: DimensionScope;
}

/** A value longer than this (a crafted Run's kilobyte hostname) is cut: a header, not a dump. */
const MAX_VALUE_CHARS = 80;

export function shortValue(s: string): string {
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 1)}…` : s;
}

/** Allocator libraries of one Run looked at: the list is data, a crafted Run may hold thousands. */
const MAX_ALLOCATORS = 16;

const GiB = 1024 ** 3;

function khugepagedPace(t: ThpSettings): string {
  return `sleep ${t.scanSleepMs ?? '?'} ms, ${t.pagesToScan ?? '?'} pages/scan`;
}

type MachineValue = (run: Run) => string | null;

/** Machine and Run dimensions, in the order headers show them (the coarsest facts first). */
const MACHINE: Array<Dimension & { value: MachineValue }> = [
  { id: 'arch', label: 'arch', scope: 'machine', value: (r) => r.machine.arch ?? null },
  { id: 'distro', label: 'distribution', scope: 'machine', value: (r) => r.machine.distro ?? null },
  { id: 'kernel', label: 'kernel', scope: 'machine', value: (r) => r.machine.kernel },
  { id: 'cpus', label: 'CPUs', scope: 'machine', value: (r) => (typeof r.machine.cpus === 'number' ? String(r.machine.cpus) : null) },
  // rounded: two runners of one size report MemTotal a few MiB apart
  { id: 'memory', label: 'memory', scope: 'machine', value: (r) => (typeof r.machine.memTotalBytes === 'number' ? `${Math.round(r.machine.memTotalBytes / GiB)} GiB` : null) },
  { id: 'machine.thp.enabled', label: 'THP enabled (as found)', scope: 'machine', value: (r) => r.machine.thp.enabled ?? null },
  { id: 'machine.thp.defrag', label: 'THP defrag (as found)', scope: 'machine', value: (r) => r.machine.thp.defrag ?? null },
  { id: 'machine.khugepaged.pace', label: 'khugepaged (as found)', scope: 'machine', value: (r) => khugepagedPace(r.machine.thp) },
  { id: 'machine.khugepaged.maxPtesNone', label: 'max_ptes_none (as found)', scope: 'machine', value: (r) => String(r.machine.thp.maxPtesNone ?? '?') },
  { id: 'cgroup', label: 'memory cgroup', scope: 'machine', value: (r) => (r.machine.cgroup.version ? `v${r.machine.cgroup.version}${r.machine.cgroup.writable ? '' : ' (not writable)'}` : 'none') },
  { id: 'root', label: 'root', scope: 'machine', value: (r) => (r.machine.root ? 'yes' : 'no') },
  { id: 'node', label: 'Node', scope: 'machine', value: (r) => r.machine.node ?? null },
  { id: 'rsslab', label: 'rsslab version', scope: 'run', value: (r) => r.rsslabVersion },
  { id: 'schema', label: 'Run schema version', scope: 'run', value: (r) => String(r.schemaVersion) },
  { id: 'profile', label: 'profile', scope: 'run', value: (r) => r.experiment.profile },
  { id: 'params', label: 'parameters', scope: 'run', value: (r) => paramsText(r) },
  // consent is per Run: a variant skipped for want of it has no settings of its own to show
  { id: 'tuned', label: 'knobs changed (--tune-system)', scope: 'run', value: (r) => (r.variants.some((v) => v.settings.knobs.length > 0 || v.settings.cgroup !== null) ? 'yes' : 'no') },
];

export function paramsText(run: Run): string {
  return Object.keys(run.experiment.params)
    .sort()
    .map((k) => `${k}=${String(run.experiment.params[k])}`)
    .join(' ');
}

type VariantValue = (v: VariantRun) => string;

const VARIANT: Array<Dimension & { value: VariantValue }> = [
  { id: 'thp.enabled', label: 'THP enabled (in force)', scope: 'variant', value: (v) => v.settings.thp.enabled ?? '?' },
  { id: 'thp.defrag', label: 'THP defrag (in force)', scope: 'variant', value: (v) => v.settings.thp.defrag ?? '?' },
  { id: 'khugepaged.pace', label: 'khugepaged (in force)', scope: 'variant', value: (v) => khugepagedPace(v.settings.thp) },
  { id: 'khugepaged.maxPtesNone', label: 'max_ptes_none (in force)', scope: 'variant', value: (v) => String(v.settings.thp.maxPtesNone ?? '?') },
  {
    id: 'allocator',
    label: 'allocator (in the child)',
    scope: 'variant',
    value: (v) => (v.settings.allocator ? `${v.settings.allocator.name}${v.settings.allocator.version ? ` ${v.settings.allocator.version.split('-')[0]}` : ''}` : 'unknown'),
  },
  { id: 'cgroupLimit', label: 'cgroup limit', scope: 'variant', value: (v) => (v.settings.cgroup ? `v${v.settings.cgroup.version}, ${Math.round(v.settings.cgroup.limitBytes / 1024 ** 2)} MiB` : 'none') },
  { id: 'notApplied', label: 'settings not applied', scope: 'variant', value: (v) => v.settings.skippedSettings.map((s) => s.what).join(', ') || 'none' },
];

/** The allocator libraries a machine has, one dimension per allocator name: "jemalloc 5.3.0" or "absent". */
function allocatorDimensions(runs: Run[]): Array<Dimension & { value: MachineValue }> {
  const names = new Set<string>();
  for (const r of runs) for (const a of r.machine.allocators.slice(0, MAX_ALLOCATORS)) names.add(a.name);
  return [...names].sort().map((name) => ({
    id: `library:${name}`,
    label: `${shortValue(name)} library`,
    scope: 'machine' as const,
    value: (r: Run): string => {
      const found = r.machine.allocators.slice(0, MAX_ALLOCATORS).find((a) => a.name === name);
      return found ? (found.version ?? 'version unknown') : 'absent';
    },
  }));
}

/** Machine and Run dimensions with each Run's value (null: not recorded). */
export function machineDimensions(runs: Run[]): Array<Dimension & { values: Array<string | null> }> {
  const dims = [...MACHINE.slice(0, 10), ...allocatorDimensions(runs), ...MACHINE.slice(10)];
  return dims.map((d) => ({ id: d.id, label: d.label, scope: d.scope, values: runs.map((r) => nullable(d.value(r))) }));
}

/**
 * Variant dimensions for one variant across Runs: each Run's repeats of it (empty: it did not run
 * there, the value is unknown). Repeats under different settings read "a / b".
 */
export function variantDimensions(perRun: VariantRun[][]): Array<Dimension & { values: Array<string | null> }> {
  return VARIANT.map((d) => ({
    id: d.id,
    label: d.label,
    scope: d.scope,
    values: perRun.map((repeats) => (repeats.length ? nullable([...new Set(repeats.map(d.value))].join(' / ')) : null)),
  }));
}

function nullable(s: string | null): string | null {
  return s === null ? null : shortValue(s);
}

/** Whether a dimension takes more than one value among the known ones. */
export function differs(values: Array<string | null>): boolean {
  return new Set(values.filter((v): v is string => v !== null)).size > 1;
}
