// The experiment contract. An experiment file (a built-in one, or a user's own) default-exports
// defineExperiment({...}); the runner imports it in the parent (params, variants, expectations,
// sampling) and the child imports it again to run `body` — the only code that runs in the
// measured process.
import type { CounterpartLanguage, Expectation, KnownAllocator, PhaseStory, Sample, Mark, Report, ValidationSpec } from '../run/schema.js';
import type { KnobName } from '../system/knob-names.js';
import { pathToFileURL } from 'node:url';

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

export interface ParamSpec {
  /** bytes and ms are numbers with units in the name; sizes on the CLI accept 256MiB, 2GiB... */
  type: 'bytes' | 'ms' | 'int' | 'number' | 'boolean' | 'string';
  default: ParamValue;
  description: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /**
   * true: this (boolean) parameter, when set, applies memory pressure; the runner then lets it run
   * only inside a memory cgroup with a limit, never against the whole machine (limits.ts).
   */
  pressure?: boolean;
}

/** What a variant needs from the machine; missing ones skip the variant with the reason. */
export type Requirement =
  | 'root' // writes kernel knobs or reads kpageflags
  | 'madvFree'
  | 'madvCollapse'
  | 'cgroup' // a memory cgroup we can create (v1 or v2 with the memory controller)
  | 'thp' // THP compiled in (enabled file present) and not forced to never
  | 'jemalloc'
  | 'mimalloc'
  | 'tcmalloc';

export interface VariantSpec<P extends Params = Params> {
  id: string;
  label: string;
  /** one or two sentences: what differs and why it matters */
  description: string;
  /** preloaded allocator (LD_PRELOAD); glibc when absent */
  allocator?: KnownAllocator;
  /** extra child env: MALLOC_CONF, MALLOC_ARENA_MAX, GLIBC_TUNABLES, MIMALLOC_*, TCMALLOC_* */
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** knobs this variant is about (e.g. max_ptes_none=0): without root/consent the variant is skipped */
  knobs?: Partial<Record<KnobName, string | number>>;
  /** prctl(PR_SET_THP_DISABLE) in the child before the body runs */
  thpDisable?: boolean;
  /** run the child inside a memory cgroup with this limit (bytes), for real memory pressure */
  cgroupLimitBytes?: number | ((params: P) => number);
  /**
   * How the child is expected to end. 'oom-kill': the kernel's OOM killer ends it inside its memory
   * cgroup (the seed's own failure, e.g. freed memory never returned): a SIGKILL with the cgroup's
   * oom_kill count raised is then the variant's result, not a failure, and its expectations are
   * judged on what was measured until the kill (metric.oomKills, metric.killedBySignal).
   */
  expectedEnd?: 'exit' | 'oom-kill';
  /** parameter overrides for this variant (the body reads ctx.params) */
  params?: Partial<P>;
  /** part of the default set that `npm run experiment` runs */
  default?: boolean;
  requires?: Requirement[];
}

export interface ExperimentSampling {
  /** sampler interval; default 20 ms */
  intervalMs?: number;
  /** read /proc/vmstat THP counters each sample */
  thp?: boolean;
  /** read MemFree each sample (what the machine got back) */
  memFree?: boolean;
  /** take a page map of every tagged region at each phase mark, and every N ms (0: marks only) */
  pageMaps?: { everyMs: number; maxRegionBytes?: number };
}

/**
 * A real program the replay stands for (the seed's C loop, a Go service, faiss). Its sources live in
 * the package under counterparts/<experiment-id>/; rsslab builds it with the machine's toolchain
 * (cached by a hash of sources, flags and compiler), then runs it like the replay's child — same
 * knobs, cgroup, allocator preload, env and sampler — and judges it by the same expectations. It
 * speaks the protocol of counterparts/rsslab.h (marks with the replay's phase ids on fd 3, acks on
 * stdin).
 */
export interface CounterpartSpec<P extends Params = Params> {
  id: string;
  label: string;
  description: string;
  language: CounterpartLanguage;
  /** relative to counterparts/<experiment-id>/; Go programs also get counterparts/rsslab.go when it exists */
  sources: string[];
  /** compiler flags before the sources (C/C++), e.g. ['-std=c++17'] */
  flags?: string[];
  /** linker arguments after the sources (C/C++), e.g. ['-lfaiss', '-fopenmp'] */
  link?: string[];
  /**
   * What the build needs beyond the compiler of its language; missing ones skip the counterpart
   * with `apt-get install <apt…>`. Headers are looked up through the compiler's own include path.
   */
  needs?: { headers?: string[]; tools?: string[]; apt: string[] };
  /** the program's arguments for this variant (key=value pairs by convention) */
  args: (params: P, variant: VariantSpec<P>) => string[];
  /**
   * Extra env for this variant beyond the variant's own (e.g. GODEBUG for a Go program); null: this
   * counterpart has no equivalent of the variant, which then runs as replay only. Absent: every
   * variant, with no extra env.
   */
  variantEnv?: (variant: VariantSpec<P>) => Record<string, string> | null;
}

/** What the parent knows when it evaluates expectations and derived metrics. */
export interface VariantOutcome {
  samples: Sample[];
  marks: Mark[];
  reports: Report[];
}

export interface ExperimentDefinition<P extends Params = Params> {
  id: string;
  title: string;
  /** which real case this replays, e.g. "seed 004 (THP and khugepaged)" */
  seed: string | null;
  summary: string;
  /** what a teacher says at each phase, in order */
  story: PhaseStory[];
  params: { [K in keyof P]: ParamSpec };
  /** overrides for --quick (tests, CI) */
  quick: Partial<P>;
  variants: Array<VariantSpec<P>>;
  /**
   * Knobs that only make the experiment faster (khugepaged's pace): applied with consent for
   * every variant; without it the experiment runs at the kernel's own pace and says so.
   */
  speedUp?: {
    /** what the knobs speed up, as the notices name it (e.g. "khugepaged") */
    what: string;
    knobs: Partial<Record<KnobName, string | number>>;
    /**
     * The phase whose mark applies the knobs (journaled first, after that mark's sample, before the
     * subject is acked), so what the earlier phases leave is sampled at the machine's own pace.
     * Absent: applied before the subject starts.
     */
    from?: string;
    /** shown when not applied: how long the effect takes at the machine's own pace */
    withoutIt: (machineKnobs: Record<string, string>, params: P) => string;
  };
  sampling?: ExperimentSampling;
  /** child timeout; default 120 s */
  timeoutMs?: (params: P) => number;
  /** headline metrics for the summary table, in order */
  headline: Array<{ metric: string; label: string }>;
  /** series to plot beside RSS (metric series names, see src/check/metric.ts) */
  series: string[];
  /** derived figures computed in the parent from the samples (e.g. time to regrow), stored in the Run */
  metrics?: (outcome: VariantOutcome, params: P, variant: VariantSpec<P>) => Record<string, number | null>;
  expectations: (variant: VariantSpec<P>, params: P) => Expectation[];
  /** real programs that stand for this replay (run with `rsslab run --real`, compared by `rsslab validate`) */
  counterparts?: Array<CounterpartSpec<P>>;
  /** how far the replay may be from its counterparts on the headline figures, and how well it must rank the variants */
  validation?: ValidationSpec;
  /** the body: runs in the child only */
  body: (ctx: ChildContext<P>) => Promise<void>;
}

/** A region the child tags so the parent measures its own smaps entry and page map. */
export interface TaggableRegion {
  readonly address: bigint;
  readonly length: number;
}

export interface ChildContext<P extends Params = Params> {
  params: P;
  variant: { id: string; label: string };
  /** start a phase: the parent samples (and maps pages) before this resolves */
  phase(name: string, label?: string): Promise<void>;
  /** measure this region on its own (its smaps entry, its page map) under `name` */
  tag(name: string, region: TaggableRegion): Promise<void>;
  untag(name: string): Promise<void>;
  /** numbers about the child's own state (live bytes, V8 heap, allocator stats) — sent, not processed here */
  report(values: Record<string, number | null>): void;
  /** report the live allocator's own statistics under alloc.* names */
  reportAllocator(): void;
  sleep(ms: number): Promise<void>;
  log(message: string): void;
}

/**
 * What a definition may leave out: a user's own experiment needs an id, a title, variants,
 * expectations and a body; the rest has plain defaults.
 */
export type ExperimentInput<P extends Params = Params> = Omit<ExperimentDefinition<P>, 'seed' | 'summary' | 'story' | 'params' | 'quick' | 'headline' | 'series'> &
  Partial<Pick<ExperimentDefinition<P>, 'seed' | 'summary' | 'story' | 'params' | 'quick' | 'headline' | 'series'>>;

/**
 * Where the definition's module lives (a file URL): the measured child imports that module again
 * to run `body`. A symbol from the global registry, so a definition made by one copy of rsslab is
 * still found by another.
 */
export const DEFINITION_MODULE = Symbol.for('rsslab.experiment.module');

export function defineExperiment<P extends Params>(input: ExperimentInput<P>): ExperimentDefinition<P> {
  const def: ExperimentDefinition<P> = {
    seed: null,
    summary: '',
    story: [],
    params: {} as ExperimentDefinition<P>['params'],
    quick: {},
    headline: [],
    series: [],
    ...input,
  };
  const module = callerModule();
  if (module) Object.defineProperty(def, DEFINITION_MODULE, { value: module, enumerable: false });
  return def;
}

/** The file URL of the module that called defineExperiment, read from V8's structured stack. */
function callerModule(): string | null {
  const saved = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, frames) => frames;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, defineExperiment);
    const file = holder.stack?.[0]?.getFileName() ?? null;
    if (!file) return null;
    if (file.startsWith('file://')) return file;
    return file.startsWith('/') ? pathToFileURL(file).href : null;
  } catch {
    return null;
  } finally {
    Error.prepareStackTrace = saved;
  }
}

/** The module a definition came from, when defineExperiment could tell. */
export function definitionModule(def: object): string | null {
  const m = (def as { [DEFINITION_MODULE]?: unknown })[DEFINITION_MODULE];
  return typeof m === 'string' ? m : null;
}
