// The Run: plain JSON with a versioned schema, the one thing check/ and report/ read.
// Every number is in bytes or milliseconds (names carry the unit). A Run is self-describing:
// it holds the machine, the settings in force and the allocator, so it can be re-checked and
// re-drawn long after the machine is gone. Documented for users in docs/run-schema.md.

import type { AllocatorRecord } from './allocator.js';
export type { AllocatorRecord, KnownAllocator } from './allocator.js';

export const RUN_SCHEMA = 'rsslab.run' as const;
export const RUN_SCHEMA_VERSION = 2 as const;
/** Versions this rsslab reads: 1 had no `subject` (every variant run was the replay). */
export const READABLE_RUN_SCHEMA_VERSIONS: readonly number[] = [1, 2];

export type ThpMode = 'always' | 'madvise' | 'never';

/** THP and khugepaged settings as read from /sys/kernel/mm/transparent_hugepage. */
export interface ThpSettings {
  enabled: string | null; // the bracketed value, e.g. "madvise"
  defrag: string | null;
  scanSleepMs: number | null;
  pagesToScan: number | null;
  maxPtesNone: number | null;
  fullScans: number | null;
  pagesCollapsed: number | null;
}

export interface MachineInfo {
  hostname: string;
  kernel: string; // uname -r
  /** os-release PRETTY_NAME, e.g. "Ubuntu 24.04.1 LTS" (absent in Runs made before it was recorded) */
  distro?: string | null;
  arch: string;
  cpus: number;
  memTotalBytes: number;
  pageSize: number;
  hugePageSize: number;
  root: boolean;
  thp: ThpSettings;
  cgroup: { version: 1 | 2 | null; memoryControllerPath: string | null; writable: boolean };
  features: { madvFree: boolean; madvCollapse: boolean; madvCold: boolean; madvPageout: boolean; pagemap: boolean };
  allocators: AllocatorRecord[];
  node: string;
}

/** One knob changed for a variant: where, from what, to what. */
export interface KnobChange {
  path: string;
  from: string;
  to: string;
}

export interface VariantSettings {
  /** THP/khugepaged settings actually in force while the child ran */
  thp: ThpSettings;
  knobs: KnobChange[];
  env: Record<string, string>; // env given to the child on top of the parent's (LD_PRELOAD, MALLOC_CONF, ...)
  nodeArgs: string[]; // e.g. --expose-gc, --max-old-space-size=...
  thpDisable: boolean; // prctl(PR_SET_THP_DISABLE) in the child
  allocator: AllocatorRecord | null; // as detected inside the child
  cgroup: { version: 1 | 2; path: string; limitBytes: number } | null;
  /** what the variant wanted but could not have, and why (no root, no consent, missing allocator...) */
  skippedSettings: Array<{ what: string; reason: string }>;
}

/** A phase boundary, reported by the child; the parent samples at once, before letting the child go on. */
export interface Mark {
  tMs: number;
  phase: string;
  label: string;
}

export interface RegionFigures {
  sizeBytes: number;
  rssBytes: number;
  anonHugeBytes: number;
  lazyFreeBytes: number;
  swapBytes: number;
}

export interface Sample {
  tMs: number; // monotonic, since the child was spawned
  /** process totals from /proc/<pid>/smaps_rollup (or status when smaps_rollup is missing) */
  rssBytes: number;
  pssBytes: number | null;
  anonBytes: number | null;
  anonHugeBytes: number | null;
  lazyFreeBytes: number | null;
  swapBytes: number | null;
  /** regions the child tagged, by name, each from its own smaps entry */
  regions: Record<string, RegionFigures>;
  /** /proc/vmstat THP counters (absolute) when the experiment asks for them */
  thp?: Record<string, number>;
  /** the memory cgroup the child runs in, when it has one of ours */
  cgroup?: { usageBytes: number; anonBytes: number | null; anonThpBytes: number | null; fileBytes: number | null; inactiveAnonBytes: number | null };
  /** /proc/meminfo MemFree, the machine's view of what came back */
  memFreeBytes?: number;
}

/** Numbers the child reports about itself at a moment (live bytes, V8 heap, allocator stats), by name. */
export interface Report {
  tMs: number;
  phase: string;
  values: Record<string, number | null>;
}

/**
 * A page map of a region at a moment. `pages` is run-length encoded ("<count><char>" groups, see
 * src/run/pagemap-codec.ts), one state per page:
 *   '.' not resident, 'r' resident (small page), 'H' resident and part of a huge page,
 *   'L' lazily freed (MADV_FREE, clean anon not yet reclaimed), 's' swapped
 * 'L' comes from kpageflags (anon without PG_swapbacked). A write after MADV_FREE dirties only the
 * PTE, which neither pagemap nor kpageflags shows, so a re-written page stays 'L' in the map until
 * reclaim looks at it; smaps' LazyFree (which checks the PTE) is the exact count.
 */
export interface PageMap {
  tMs: number;
  phase: string;
  region: string;
  pageSize: number;
  source: 'pagemap+kpageflags' | 'pagemap' | 'mincore'; // what the flags could be read from (without root: present bits only)
  pages: string;
}

export interface SamplerStats {
  intervalMs: number;
  count: number;
  achievedHz: number;
  costMeanMs: number;
  costP99Ms: number;
  jitterP50Ms: number;
  jitterP99Ms: number;
}

export type Comparison = '<' | '<=' | '>' | '>=';

/** A declarative expectation, re-checkable from the Run alone (src/check/). */
export interface Expectation {
  id: string;
  text: string; // what a reader should understand, e.g. "khugepaged refills the region"
  /** metric reference, see src/check/metric.ts: e.g. "region.main.rss@max:idle" */
  left: string;
  op: Comparison;
  /** a number (bytes, ms, ratio) or another metric reference */
  right: string | number;
  /** right is multiplied by this (e.g. 0.9 × region size) */
  factor?: number;
  /** added after the factor, in the metric's unit: absolute slack (`rss@start:load + 16MiB`) */
  offset?: number;
  /** expectations that need a setting the variant may not have had (e.g. a fast khugepaged) */
  requires?: string[];
}

export interface ExpectationResult extends Expectation {
  status: 'held' | 'failed' | 'skipped';
  leftValue: number | null;
  rightValue: number | null;
  reason?: string;
}

/**
 * What ran: the replay (the experiment body in a Node child) or a real counterpart (a native program
 * built from the package's counterparts/ sources), observed the same way.
 */
export type Subject =
  | { kind: 'replay' }
  | { kind: 'real'; counterpart: string; label: string; language: CounterpartLanguage; binarySha256: string; args: string[] };

export type CounterpartLanguage = 'c' | 'c++' | 'go';

/** How far a replay's figure may be from its real counterpart's and still agree (rsslab validate). */
export interface ValidationTolerance {
  metric: string;
  /** |replay − real| ≤ relative × |real| agrees … */
  relative?: number;
  /** … or |replay − real| ≤ absolute, in the metric's own unit (bytes, ms, count) */
  absolute?: number;
}

export interface ValidationSpec {
  /** headline figures compared replay vs real, each with its tolerance */
  compare: ValidationTolerance[];
  /** the figure the variants are ranked by (its tolerance makes near-equal values a tie); null: no ranking */
  rankBy: string | null;
  /** Spearman correlation of the replay's ranking with the real one below which the replay disagrees */
  minRankCorrelation: number;
}

export interface VariantRun {
  variant: string;
  /** absent in schema version 1 files: the replay */
  subject?: Subject;
  label: string;
  description: string;
  repeat: number;
  status: 'ok' | 'failed' | 'skipped';
  failure?: { reason: string; exitCode: number | null; signal: string | null; stderrTail: string; timedOut: boolean };
  startedAt: string; // ISO
  durationMs: number;
  settings: VariantSettings;
  marks: Mark[];
  samples: Sample[];
  reports: Report[];
  pageMaps: PageMap[];
  sampler: SamplerStats | null;
  expectations: ExpectationResult[];
  /** headline figures for tables and comparisons, computed from samples and marks */
  metrics: Record<string, number | null>;
  /**
   * Present when `samples` is a bounded downsample (a long watch): every bucket's first sample and
   * the samples holding its extremes (src/run/downsample.ts), plus every phase mark's sample.
   * `file` is the NDJSON log of every sample, one per line, beside the Run file (null: not kept).
   */
  sampleLog?: { file: string | null; samples: number; kept: number; error?: string };
}

export interface PhaseStory {
  phase: string;
  title: string;
  text: string;
}

export interface Run {
  schema: typeof RUN_SCHEMA;
  /** files of version 1 are read too (see READABLE_RUN_SCHEMA_VERSIONS) */
  schemaVersion: 1 | typeof RUN_SCHEMA_VERSION;
  rsslabVersion: string;
  kind: 'experiment' | 'watch';
  experiment: {
    id: string;
    title: string;
    seed: string | null; // which real case it replays
    summary: string;
    story: PhaseStory[];
    params: Record<string, number | string | boolean>;
    profile: 'default' | 'quick';
    /** headline metrics for the summary table, in order: metric name → label */
    headline: Array<{ metric: string; label: string }>;
    /** series to plot beyond RSS, by sample path (e.g. "regions.main.anonHugeBytes") or report value name */
    series: string[];
    /** the real programs this experiment declares (schema 2) */
    counterparts?: Array<{ id: string; label: string; language: CounterpartLanguage; description: string }>;
    /** how replay and real are compared by `rsslab validate` (schema 2) */
    validation?: ValidationSpec | null;
  };
  machine: MachineInfo;
  startedAt: string;
  durationMs: number;
  command: string[];
  variants: VariantRun[];
  /** variants (or a variant's real counterpart: `counterpart` set) that could not run here */
  skipped: Array<{ variant: string; reason: string; counterpart?: string }>;
  /** system changes and restores, in order, for the record */
  systemLog: string[];
}
