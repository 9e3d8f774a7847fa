// The runner: for each variant × repeat, prepare the machine (knobs, cgroup, allocator env),
// spawn one child, observe it from outside, restore, judge. One SystemSession per experiment holds
// rsslab's lock and journal, so every change is undone on exit, error, SIGINT/SIGTERM, and by
// `rsslab restore` after a SIGKILL.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../package-root.js';
import type { KnobChange, Mark, Run, VariantRun } from '../run/schema.js';
import { newVariantRun } from '../run/new-variant-run.js';
import { readThpSettings } from '../probe/thp.js';
import { openSystemSession, type SystemSession } from '../system/session.js';
import type { LockOwner } from '../system/lock.js';
import { installRestoreGuards } from '../system/guard.js';
import { askConsent } from '../system/consent.js';
import { definitionModule, type ExperimentDefinition, type ParamValue, type Params, type VariantSpec } from './experiment.js';
import { checkDefinition } from './definition-check.js';
import type { RunObserver } from './events.js';
import { resolveParams, variantParams } from './params.js';
import { describeLab, type LabMachine } from './machine.js';
import { planVariant, type VariantPlan } from './plan.js';
import { checkMemoryFits, estimateVariantBytes, memoryBudget } from './limits.js';
import { observeChild } from './observe.js';
import { replaySubject, type SubjectLauncher } from './subject.js';
import { realSubject } from './real-subject.js';
import { buildAll, eventName, subjectsFor, type RunSubject } from './run-subjects.js';
import { DEFAULT_INTERVAL_MS } from './sampler.js';
import { assembleRun, scoreVariant } from './run-record.js';
import { UsageError } from '../usage-error.js';

export interface RunOptions {
  /**
   * The module (a file URL or an absolute path) whose default export is the definition: the measured
   * child imports it to run the body. Default: where defineExperiment was called.
   */
  module?: string;
  /** variant ids; default: the experiment's default variants */
  variants?: string[];
  /** run every variant */
  allVariants?: boolean;
  repeat?: number;
  quick?: boolean;
  params?: Record<string, ParamValue>;
  /** consent to change machine-wide knobs (tests and CI pass it; a terminal may be asked instead) */
  tuneSystem?: boolean;
  /** may ask on a terminal when tuneSystem is false */
  interactive?: boolean;
  intervalMs?: number;
  /** per-child timeout override */
  timeoutMs?: number;
  /** how long to wait for another rsslab run's system lock */
  lockWaitMs?: number;
  /**
   * What runs for each variant: the replay (default), its real counterparts, or both (replay first,
   * then each counterpart, under the same settings). Experiments without counterparts run the replay.
   */
  subjects?: 'replay' | 'real' | 'both';
  /** env for finding and running the toolchain that builds counterparts (default: process.env) */
  buildEnv?: NodeJS.ProcessEnv;
  /** run even when the sizes asked for may not fit in available memory (limits.ts) */
  force?: boolean;
  observer?: RunObserver;
  command?: string[];
  /**
   * Awaited at every phase mark (the child's 'end' mark included) before the child may go on: the
   * experiment stays at the boundary until it resolves. `rsslab workshop --step` waits here for the
   * presenter's "Next". Pass a generous `timeoutMs` with it: the child's timeout keeps running.
   */
  beforeAck?: (mark: { experimentId: string; variant: string; phase: string; label: string; tMs: number }) => Promise<void>;
}

function childScript(): string {
  const file = join(packageRoot(), 'dist', 'src', 'lab', 'child.js');
  if (!existsSync(file)) throw new UsageError(`the compiled child ${file} is missing: run \`npm run build\` (or \`npm ci\`) first`);
  return file;
}

/** The module the child imports, as a file URL: given, or recorded by defineExperiment. */
function moduleOf(def: ExperimentDefinition<Params>, given: string | undefined): string {
  const m = given ?? definitionModule(def);
  if (!m) throw new UsageError(`experiment ${def.id}: cannot tell which file defines it (the child imports that file to run the body); make it with defineExperiment() in its own module, or pass { module: import.meta.url }`);
  if (m.startsWith('file://')) return m;
  if (isAbsolute(m)) return pathToFileURL(m).href;
  throw new UsageError(`experiment ${def.id}: module must be a file URL or an absolute path, got "${m}"`);
}

export function selectVariants(def: ExperimentDefinition<Params>, ids: string[] | undefined, all: boolean): Array<VariantSpec<Params>> {
  if (all) return def.variants;
  if (!ids || ids.length === 0) {
    const defaults = def.variants.filter((v) => v.default);
    return defaults.length ? defaults : def.variants;
  }
  return ids.map((id) => {
    const v = def.variants.find((x) => x.id === id);
    if (!v) throw new UsageError(`experiment ${def.id} has no variant "${id}"; its variants are: ${def.variants.map((x) => x.id).join(', ')}`);
    return v;
  });
}

function emptyVariantRun(v: VariantSpec<Params>, repeat: number, plan: VariantPlan, subject: RunSubject): VariantRun {
  const real = subject.kind === 'real';
  const out = newVariantRun(
    { variant: v.id, label: v.label, description: v.description, repeat },
    { thp: readThpSettings(), knobs: [], env: real ? subject.env : plan.env, nodeArgs: real ? [] : (v.nodeArgs ?? []), thpDisable: v.thpDisable ?? false, allocator: null, cgroup: null, skippedSettings: plan.skippedSettings },
  );
  out.subject = subject.record;
  return out;
}

/**
 * Runs one experiment from its definition. The lab knows no experiment by name: the CLI and the
 * library's runExperiment resolve built-in ids and users' files to a definition and its module.
 */
export async function runDefinition(definition: ExperimentDefinition<Params>, opts: RunOptions = {}): Promise<Run> {
  const def = checkDefinition(definition);
  const module = moduleOf(def, opts.module);
  const repeat = opts.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`--repeat must be a whole number ≥ 1, got ${repeat}`);
  const intervalMs = opts.intervalMs ?? def.sampling?.intervalMs ?? DEFAULT_INTERVAL_MS;
  const userParams = opts.params ?? {};
  const params = resolveParams(def, { quick: opts.quick ?? false, overrides: userParams });
  const variants = selectVariants(def, opts.variants, opts.allVariants ?? false);
  const emit = opts.observer ?? (() => {});
  const started = Date.now();
  let lab: LabMachine = await describeLab();
  const systemLog: string[] = [];
  const note = (message: string, level: 'system' | 'warning' | 'info' = 'warning'): void => {
    if (level !== 'info') systemLog.push(message);
    emit({ type: 'notice', message, level });
  };

  const mode = opts.subjects ?? 'replay';
  if (mode !== 'replay' && !def.counterparts?.length) note(`${def.id}: no real counterpart is declared for this experiment; running the replay only`);
  const builds = mode === 'replay' ? [] : await buildAll(def, opts.buildEnv, note);

  const planAll = (): VariantPlan[] => variants.map((v) => planVariant(def, v, variantParams(params, v.params, userParams), lab));
  let plans = planAll();
  const skipped: Run['skipped'] = [];

  // Before anything changes on the machine: would each child fit in the memory there is?
  const estimates = plans.filter((p) => !p.skip).map((p) => estimateVariantBytes(def, p.variant.id, p.params, p.cgroupLimitBytes));
  const tooBig = checkMemoryFits(estimates, memoryBudget());
  if (tooBig && !opts.force) throw new UsageError(`${def.id}: ${tooBig}`);
  if (tooBig) note(`${def.id}: --force given; running although ${tooBig.replace(/^refusing to run: /, '').replace(/ Choose smaller.*$/, '')}`);

  // Consent, once per experiment, for every change any variant (and the speed-up) would make.
  const wantsKnobs = plans.some((p) => !p.skip && Object.keys(p.knobs).length > 0) || (def.speedUp && lab.tune.ok);
  const wantsCgroup = plans.some((p) => !p.skip && p.cgroupLimitBytes !== null);
  let consent = { granted: false, reason: 'nothing to change' };
  if ((wantsKnobs && lab.tune.ok) || (wantsCgroup && lab.cgroup.canCreate)) {
    consent =
      opts.interactive === false && !opts.tuneSystem
        ? { granted: false, reason: 'no --tune-system' }
        : await askConsent({ tuneSystem: opts.tuneSystem ?? false, changes: describeChanges(def, plans, lab) });
  }

  let session: SystemSession | null = null;
  let uninstall: (() => void) | null = null;
  const canChange = consent.granted;
  if (canChange && (wantsKnobs || wantsCgroup)) {
    session = await openSessionNoticing(opts.lockWaitMs ?? 15 * 60_000, note);
    uninstall = installRestoreGuards(session);
    // What was read before the lock may be another run's transient state (its THP "never" variant
    // skipped every THP variant here): read the machine again now that it is ours and restored.
    try {
      lab = await describeLab();
      plans = planAll();
    } catch (e) {
      session.close();
      uninstall();
      throw e;
    }
  }

  const speedUpApplied = Boolean(def.speedUp && session && lab.tune.ok);
  if (def.speedUp && !speedUpApplied) {
    const why = !lab.tune.ok ? lab.tune.reason : consent.reason || 'no consent (--tune-system)';
    note(`${def.id}: ${def.speedUp.what} is not sped up (${why}); ${def.speedUp.withoutIt(lab.knobValues, params)}`);
  }

  emit({ type: 'experiment-start', experimentId: def.id, title: def.title, variants: variants.map((v) => v.id), repeat });
  const results: VariantRun[] = [];
  try {
    for (const plan of plans) {
      const v = plan.variant;
      let skipReason = plan.skip;
      if (!skipReason && Object.keys(plan.knobs).length > 0 && !session) skipReason = `needs kernel knobs changed (${Object.entries(plan.knobs).map(([k, x]) => `${k}=${x}`).join(', ')}): ${lab.tune.ok ? consent.reason || 'no consent' : lab.tune.reason}`;
      if (!skipReason && plan.cgroupLimitBytes !== null && !session) skipReason = `needs a memory cgroup: ${lab.cgroup.canCreate ? consent.reason || 'no consent' : lab.cgroup.reason}`;
      if (skipReason) {
        skipped.push({ variant: v.id, reason: skipReason });
        emit({ type: 'variant-skipped', experimentId: def.id, variant: v.id, reason: skipReason });
        continue;
      }
      const subjects = subjectsFor(plan, mode, builds);
      for (const s of subjects.skipped) {
        skipped.push({ variant: v.id, counterpart: s.counterpart, reason: s.reason });
        emit({ type: 'variant-skipped', experimentId: def.id, variant: `${v.id} (real ${s.counterpart})`, reason: s.reason });
      }
      for (let r = 0; r < repeat; r++) {
        // replay and real one after the other, repeat by repeat: both see the machine in the same state
        for (const subject of subjects.run) {
          const result = await runVariant(def, plan, r, subject, { module, session, speedUpApplied, intervalMs, opts, emit, note });
          results.push(result);
          emit({ type: 'variant-end', experimentId: def.id, result });
        }
      }
    }
  } finally {
    if (session) {
      try {
        session.close();
      } finally {
        uninstall?.();
      }
    }
  }

  const run = assembleRun({
    kind: 'experiment',
    experiment: {
      id: def.id,
      title: def.title,
      seed: def.seed,
      summary: def.summary,
      story: def.story,
      params,
      profile: opts.quick ? 'quick' : 'default',
      headline: def.headline,
      series: def.series,
      counterparts: (def.counterparts ?? []).map((c) => ({ id: c.id, label: c.label, language: c.language, description: c.description })),
      validation: def.validation ?? null,
    },
    machine: lab.machine,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    command: opts.command ?? process.argv.slice(1),
    variants: results,
    skipped,
    systemLog,
  });
  emit({ type: 'experiment-end', run });
  return run;
}

/**
 * Takes rsslab's system lock, saying so when another run holds it: a short try first, then a
 * notice naming the holder, then the rest of the wait (a silent 15-minute wait looks like a hang).
 */
async function openSessionNoticing(waitMs: number, note: (m: string, level?: 'system' | 'warning' | 'info') => void): Promise<SystemSession> {
  const system = (m: string): void => note(m, 'system');
  const firstMs = Math.min(waitMs, 1000);
  try {
    return await openSystemSession({ lockWaitMs: firstMs, log: system });
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ERR_RSSLAB_LOCKED' || waitMs <= firstMs) throw e;
    const h = (e as { holder?: LockOwner | null }).holder;
    const who = h ? `pid ${h.pid} (${h.command}, since ${h.startedAt})` : 'another process';
    note(`waiting for rsslab's system lock held by ${who}, up to ${Math.round((waitMs - firstMs) / 1000)} s; stop that run or wait`);
    return await openSystemSession({ lockWaitMs: waitMs - firstMs, log: system });
  }
}

function describeChanges(def: ExperimentDefinition<Params>, plans: VariantPlan[], lab: LabMachine): string[] {
  const out: string[] = [];
  if (def.speedUp && lab.tune.ok) {
    for (const [k, v] of Object.entries(def.speedUp.knobs)) out.push(`${k}: ${lab.knobValues[k] ?? '?'} -> ${v} (to see ${def.speedUp.what}'s effect in seconds${def.speedUp.from ? `, from phase ${def.speedUp.from}` : ''})`);
  }
  for (const p of plans) {
    if (p.skip) continue;
    for (const [k, v] of Object.entries(p.knobs)) out.push(`${k}: ${lab.knobValues[k] ?? '?'} -> ${v} (variant ${p.variant.id})`);
    if (p.cgroupLimitBytes !== null) out.push(`a memory cgroup limited to ${p.cgroupLimitBytes} bytes (variant ${p.variant.id})`);
  }
  // cgroup v2: the cgroups need rsslab's own cgroup delegated first, a change of its own to consent to
  if (lab.cgroup.mode === 'v2-delegate' && plans.some((p) => !p.skip && p.cgroupLimitBytes !== null)) out.push(lab.cgroup.reason);
  return out;
}

interface VariantContext {
  session: SystemSession | null;
  module: string;
  speedUpApplied: boolean;
  intervalMs: number;
  opts: RunOptions;
  emit: RunObserver;
  note: (m: string, level?: 'system' | 'warning' | 'info') => void;
}

async function runVariant(def: ExperimentDefinition<Params>, plan: VariantPlan, repeat: number, subject: RunSubject, c: VariantContext): Promise<VariantRun> {
  const v = plan.variant;
  const out = emptyVariantRun(v, repeat, plan, subject);
  const name = eventName(v.id, subject);
  c.emit({ type: 'variant-start', experimentId: def.id, variant: name, label: v.label, repeat });
  const knobs: KnobChange[] = [];
  let cgroup: ReturnType<SystemSession['createCgroup']> | null = null;
  let ending: { oomKills: number | null; cgroupPeakBytes: number | null; killedBySignal: number } | null = null;
  const speedUpFrom = c.speedUpApplied ? (def.speedUp?.from ?? null) : null;
  let spedUpAtMark = false;
  try {
    if (c.session) {
      const wanted = { ...(c.speedUpApplied && speedUpFrom === null ? def.speedUp?.knobs : {}), ...plan.knobs };
      knobs.push(...c.session.apply(wanted));
      if (plan.cgroupLimitBytes !== null) cgroup = c.session.createCgroup(plan.cgroupLimitBytes);
    }
    const session = c.session;
    // The speed-up from a later phase: at that mark, after its sample, before the subject goes on.
    // session.apply journals each original before writing it; the finally below restores it.
    const applySpeedUpAt =
      session && speedUpFrom !== null
        ? (mark: Mark): void => {
            if (mark.phase !== speedUpFrom || spedUpAtMark) return;
            const made = session.apply({ ...def.speedUp?.knobs, ...plan.knobs });
            knobs.push(...made);
            spedUpAtMark = true;
            // the pace khugepaged ran at in the phase the speed-up is for (the changes list says from what)
            out.settings.thp = readThpSettings();
            c.note(`${def.id}/${name}: ${def.speedUp?.what ?? 'the speed-up'} sped up from phase ${speedUpFrom}`, 'info');
          }
        : null;
    const outerBeforeAck = c.opts.beforeAck;
    const beforeAck =
      applySpeedUpAt || outerBeforeAck
        ? async (mark: Mark): Promise<void> => {
            try {
              applySpeedUpAt?.(mark);
            } finally {
              if (outerBeforeAck) await outerBeforeAck({ experimentId: def.id, variant: name, ...mark });
            }
          }
        : null;
    out.settings.thp = readThpSettings();
    out.settings.knobs = knobs;
    if (cgroup) out.settings.cgroup = { version: cgroup.version, path: cgroup.path, limitBytes: cgroup.limitBytes };

    const sampling = def.sampling ?? {};
    const timeoutMs = c.opts.timeoutMs ?? def.timeoutMs?.(plan.params) ?? 120_000;
    const launcher: SubjectLauncher =
      subject.kind === 'real'
        ? realSubject(subject.built.binary, subject.args, v.thpDisable ?? false, (m) => c.note(`${def.id}/${name}: ${m}`))
        : replaySubject(childScript(), v.nodeArgs ?? []);
    const obs = await observeChild({
      subject: launcher,
      experimentId: def.id,
      module: c.module,
      variantId: v.id,
      variantLabel: v.label,
      params: plan.params,
      thpDisable: v.thpDisable ?? false,
      env: out.settings.env,
      intervalMs: c.intervalMs,
      timeoutMs,
      thpCounters: sampling.thp ?? false,
      memFree: sampling.memFree ?? false,
      pageMaps: sampling.pageMaps ? { everyMs: sampling.pageMaps.everyMs, maxRegionBytes: sampling.pageMaps.maxRegionBytes ?? 1 << 30 } : null,
      beforeStart: cgroup ? (pid) => cgroup!.addProcess(pid) : undefined,
      cgroupPath: cgroup?.path ?? null,
      onPhase: (mark, rssBytes) => c.emit({ type: 'phase', experimentId: def.id, variant: name, phase: mark.phase, label: mark.label, tMs: mark.tMs, rssBytes }),
      onSample: (s) => c.emit({ type: 'sample', experimentId: def.id, variant: name, tMs: s.tMs, rssBytes: s.rssBytes, sample: s }),
      onReport: (report) => c.emit({ type: 'report', experimentId: def.id, variant: name, report }),
      onPageMap: (pageMap) => c.emit({ type: 'page-map', experimentId: def.id, variant: name, pageMap }),
      ...(beforeAck ? { beforeAck } : {}),
      onLog: (m) => c.note(`${def.id}/${name}: ${m}`, 'info'),
    });
    Object.assign(out, { marks: obs.marks, samples: obs.samples, reports: obs.reports, pageMaps: obs.pageMaps, sampler: obs.sampler, durationMs: obs.durationMs });
    out.settings.allocator = obs.allocator;
    // Read before the cgroup is removed: whether the kernel's OOM killer ended the child.
    const usage = cgroup ? cgroup.usage() : null;
    const oomKills = usage?.oomKills ?? null;
    // the kernel's own high-water mark: a 20 ms sampler can miss the last step before an OOM kill
    ending = { oomKills, cgroupPeakBytes: usage?.peakBytes ?? null, killedBySignal: obs.failure?.signal === 'SIGKILL' ? 1 : 0 };
    const oomKilled = oomKills !== null && oomKills > 0 && obs.failure?.signal === 'SIGKILL' && !obs.failure.timedOut;
    if (obs.failure && oomKilled && v.expectedEnd === 'oom-kill') {
      c.note(`${def.id}/${v.id}: ended by the OOM killer in its memory cgroup (oom_kill ${oomKills}), as this variant expects`, 'info');
    } else if (obs.failure) {
      out.status = 'failed';
      out.failure = oomKilled ? { ...obs.failure, reason: `the kernel's OOM killer ended the child inside its memory cgroup (oom_kill ${oomKills})` } : obs.failure;
    }
  } catch (e) {
    out.status = 'failed';
    out.failure = { reason: (e as Error).message, exitCode: null, signal: null, stderrTail: '', timedOut: false };
  } finally {
    // Each variant starts from the machine's own settings: undo this one's before the next.
    if (c.session) c.session.restore();
  }

  const derived = def.metrics ? def.metrics({ samples: out.samples, marks: out.marks, reports: out.reports }, plan.params, v) : {};
  out.metrics = { ...derived, ...(ending ?? {}) };
  const unmet: Record<string, string> = {};
  if (!c.speedUpApplied) unmet.speedUp = `${def.speedUp?.what ?? 'the experiment'} ran at the machine’s own pace (no --tune-system or not root)`;
  else if (speedUpFrom !== null && !spedUpAtMark) unmet.speedUp = `${def.speedUp?.what ?? 'the experiment'} was not sped up: phase ${speedUpFrom} was never reached or its knobs could not be written`;
  // what only the replay's body can check (it reads its own pages back); a real program does not report it
  if (subject.kind === 'real') unmet.replay = 'checked inside the replay only (the real program does not report it)';
  scoreVariant(out, def.headline, out.status === 'ok' ? def.expectations(v, plan.params) : [], unmet);
  return out;
}
