// Time to reproduce each case: how long after its cause the effect is visible in the samples, and
// since the child was spawned, through the real runner (runExperiment). The THP regrowth is run with
// khugepaged sped up when we are root (runExperiment holds rsslab's lock and restores every knob) and
// set against the time the kernel would take at the machine's own settings.
import { performance } from 'node:perf_hooks';
import { phaseWindow, evaluateMetric, timeToReach } from '../check/metric.js';
import { features } from '../core/features.js';
import { resolveExperiment, runExperiment } from '../experiment-source.js';
import type { ParamValue } from '../lab/experiment.js';
import type { KnobChange, VariantRun } from '../run/schema.js';
import { snapshotKnobs } from '../system/knobs.js';
import { withSystemLock } from '../system/lock.js';
import { khugepagedPace, type KhugepagedPace } from './pace.js';

export type CaseId = 'thp-khugepaged' | 'madv-free' | 'faiss-cycles';

export interface ReproduceFigures {
  experiment: CaseId;
  variant: string;
  quick: boolean;
  params: Record<string, ParamValue>;
  status: VariantRun['status'] | 'missing';
  failure?: string;
  /** what "visible" means for this case */
  effect: string;
  effectPhase: string;
  /** from the start of the phase that causes it */
  effectAfterPhaseMs: number | null;
  /** from the child's spawn: what a user waits for */
  effectSinceSpawnMs: number | null;
  /** runExperiment() from call to return: machine description, consent, spawn, the whole child */
  runWallMs: number;
  expectations: { held: number; failed: number; skipped: number };
  knobChanges: KnobChange[];
  /** the kernel's own time for the same effect at the machine's settings, when it has one */
  kernelPace: KhugepagedPace | null;
  /** the same estimate for the settings rsslab used (the speed-up) */
  spedUpPace: KhugepagedPace | null;
  /** kernelPace.estimatedMs / effectAfterPhaseMs */
  speedUp: number | null;
  /** every knob read back after the run equals what it was before */
  knobsRestored: boolean;
  notes: string[];
}

interface CaseSpec {
  variant: string;
  /** full-profile overrides: shorter idles, the effect itself comes well before them */
  params: Record<string, ParamValue>;
  effect: string;
  /** returns [phase, ms after its start] of the first point where the effect is visible */
  find: (v: VariantRun, params: Record<string, ParamValue>) => { phase: string; afterMs: number | null };
}

const num = (p: Record<string, ParamValue>, k: string): number => {
  const v = p[k];
  if (typeof v !== 'number') throw new TypeError(`param ${k} is not a number`);
  return v;
};

const CASES: Record<CaseId, CaseSpec> = {
  'thp-khugepaged': {
    variant: 'default',
    params: { idleMs: 6000 },
    effect: 'region RSS back to 90% of the region after the partial MADV_DONTNEED (khugepaged collapses)',
    find: (v, p) => ({ phase: 'idle', afterMs: timeToReach(v, 'region.main.rss', 'idle', 0.9 * num(p, 'regionBytes')) }),
  },
  'madv-free': {
    variant: 'free',
    params: {},
    effect: 'LazyFree of the region reaches 90% of it after MADV_FREE while RSS stays',
    find: (v, p) => ({ phase: 'free', afterMs: timeToReach(v, 'region.main.lazyFree', 'free', 0.9 * num(p, 'regionBytes')) }),
  },
  'faiss-cycles': {
    // the seed's "LD_PRELOAD of jemalloc made it worse": on a long-lived thread jemalloc keeps a freed cycle
    variant: 'jemalloc',
    params: { cycles: 2, idleMs: 1000 },
    effect: "after a cycle frees everything, RSS above the baseline stays at half the cycle's peak or more (jemalloc's dirty pages on a long-lived thread)",
    find: (v, p) => {
      const base = evaluateMetric(v, 'rss@end:baseline');
      for (let c = 1; c <= num(p, 'cycles'); c++) {
        const phase = `cycle${c}-freed`;
        const peak = evaluateMetric(v, `rss@max:cycle${c}`);
        const w = phaseWindow(v.marks, phase);
        if (base === null || peak === null || !w) continue;
        const first = v.samples.find((s) => s.tMs >= w.startMs && s.tMs <= w.endMs && s.rssBytes - base >= 0.5 * (peak - base));
        if (first) return { phase, afterMs: first.tMs - w.startMs };
      }
      return { phase: 'cycle1-freed', afterMs: null };
    },
  },
};

function sameKnobs(a: Record<string, string | null>, b: Record<string, string | null>): boolean {
  return Object.keys(a).every((k) => a[k] === b[k]);
}

/**
 * As root the case runs holding rsslab's system lock: the knobs read before it are then the machine's
 * own (another rsslab run may have khugepaged sped up while it holds the lock), and runExperiment's
 * session shares the lock, changes the knobs and restores them.
 */
export async function benchReproduce(id: CaseId, quick: boolean, log: (m: string) => void): Promise<ReproduceFigures> {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? withSystemLock(() => reproduce(id, quick, root, log), { log }) : reproduce(id, quick, root, log);
}

async function reproduce(id: CaseId, quick: boolean, root: boolean, log: (m: string) => void): Promise<ReproduceFigures> {
  const spec = CASES[id];
  const before = snapshotKnobs();
  const overrides = quick ? {} : spec.params;
  const t0 = performance.now();
  const run = await runExperiment(id, {
    variants: [spec.variant],
    quick,
    params: overrides,
    tuneSystem: root,
    interactive: false,
    command: ['bench', 'reproduce', id],
    observer: (e) => {
      if (e.type === 'notice') log(e.message);
    },
  });
  const runWallMs = performance.now() - t0;
  const after = snapshotKnobs();
  const v = run.variants[0];
  const params = run.experiment.params as Record<string, ParamValue>;
  const notes = [...run.skipped.map((s) => `skipped ${s.variant}: ${s.reason}`)];
  const out: ReproduceFigures = {
    experiment: id,
    variant: spec.variant,
    quick,
    params: overrides,
    status: v?.status ?? 'missing',
    effect: spec.effect,
    effectPhase: '',
    effectAfterPhaseMs: null,
    effectSinceSpawnMs: null,
    runWallMs,
    expectations: { held: 0, failed: 0, skipped: 0 },
    knobChanges: v?.settings.knobs ?? [],
    kernelPace: null,
    spedUpPace: null,
    speedUp: null,
    knobsRestored: sameKnobs(before, after),
    notes,
  };
  if (!v) return out;
  if (v.failure) out.failure = v.failure.reason;
  for (const e of v.expectations) out.expectations[e.status]++;
  const found = spec.find(v, params);
  out.effectPhase = found.phase;
  out.effectAfterPhaseMs = found.afterMs;
  const w = phaseWindow(v.marks, found.phase);
  if (found.afterMs !== null && w) out.effectSinceSpawnMs = w.startMs + found.afterMs;
  if (id === 'thp-khugepaged') {
    const regionBytes = num(params, 'regionBytes');
    const { pageSize } = features();
    out.kernelPace = khugepagedPace(regionBytes, pageSize, Number(before['khugepaged/scan_sleep_millisecs']), Number(before['khugepaged/pages_to_scan']));
    const def = (await resolveExperiment(id)).definition;
    const knobs = def.speedUp?.knobs ?? {};
    if (out.knobChanges.length > 0) {
      out.spedUpPace = khugepagedPace(regionBytes, pageSize, Number(knobs['khugepaged/scan_sleep_millisecs']), Number(knobs['khugepaged/pages_to_scan']));
    } else {
      notes.push('khugepaged was not sped up (not root): the effect is timed at the machine\u2019s own pace and may not appear within the idle phase');
    }
    if (out.kernelPace && out.effectAfterPhaseMs !== null && out.effectAfterPhaseMs > 0) out.speedUp = out.kernelPace.estimatedMs / out.effectAfterPhaseMs;
  } else {
    notes.push('the effect is synchronous in the kernel: the time is what rsslab itself takes (spawn, touch, sampling) to show it');
  }
  return out;
}
