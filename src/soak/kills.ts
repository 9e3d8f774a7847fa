// Soak area "kills": tuned quick runs (thp-khugepaged's pressure variant: khugepaged knobs AND a
// memory cgroup) killed with SIGKILL, SIGINT or SIGTERM at a random moment, from before the lock is
// taken to after the run has ended. After SIGINT/SIGTERM the run must have restored everything
// itself; after SIGKILL, recovery is `rsslab restore` for half the kills and the next, untuned
// `rsslab run` for the other half. After every trial the knobs must be the machine's own values and
// no rsslab cgroup of the killed run may remain.
//
// Each trial runs in isolation: the soak holds rsslab's machine-wide lock during it (other rsslab
// processes wait, so nothing else changes or restores knobs meanwhile), and the killed run and its
// recovery use a private lock (RSSLAB_LOCK_PATH) and state dir. Knobs are read directly.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { seeded } from '../check/permutation.js';
import { snapshotKnobs, type KnobSnapshot } from '../system/knobs.js';
import { withSystemLock } from '../system/lock.js';
import { packageRoot } from '../package-root.js';
import type { SoakArea, SoakAreaResult } from './area.js';

const SIGNALS = ['SIGKILL', 'SIGKILL', 'SIGKILL', 'SIGKILL', 'SIGINT', 'SIGTERM'] as const;
type Signal = (typeof SIGNALS)[number];
/** a quick pressure run takes 4–5 s here; kill moments spread over all of it (a few land after its end) */
const KILL_WINDOW_MS = 4500;
const TRIAL_TIMEOUT_MS = 120_000;
/** trials per hold of the machine lock (about two minutes) */
const BATCH = 20;
const MEMCG = '/sys/fs/cgroup/memory';

function cliPath(): string {
  return join(packageRoot(), 'dist', 'src', 'cli.js');
}

function cgroupsOf(pid: number): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 6) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith(`rsslab-${pid}-`)) out.push(join(dir, e.name));
      walk(join(dir, e.name), depth + 1);
    }
  };
  walk(MEMCG, 0);
  return out;
}

/** journals, and the temporary copies a run killed mid-write leaves (those were never applied) */
function journals(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('journal-')) : [];
}

function appliedJournals(dir: string): string[] {
  return journals(dir).filter((n) => n.endsWith('.json'));
}

function differs(a: KnobSnapshot, b: KnobSnapshot): string[] {
  return (Object.keys(a) as Array<keyof KnobSnapshot>).filter((k) => a[k] !== b[k]).map((k) => `${k}=${b[k]} (was ${a[k]})`);
}

interface Trial {
  signal: Signal;
  recovery: 'self' | 'restore' | 'next-run';
  /** what the run had done when the signal came */
  moment: 'before-changes' | 'knobs' | 'cgroup' | 'ended';
  restored: boolean;
  /** the dead run had left a journal or a cgroup */
  leftovers: boolean;
  /** the recovery named the dead run's journal in its output (restore: stdout, next run: stderr) */
  saidSo: boolean;
  hung: boolean;
  problem: string | null;
}

async function finished(child: ResultPromise, ms: number): Promise<boolean> {
  const timer = sleep(ms).then(() => false);
  return Promise.race([child.then(() => true, () => true), timer]);
}

async function oneTrial(index: number, signal: Signal, recovery: Trial['recovery'], delayMs: number, seed: number): Promise<Trial> {
  const tmp = mkdtempSync(join(tmpdir(), 'rsslab-soak-kill-'));
  const state = join(tmp, 'state');
  const env = { CI: 'true', RSSLAB_STATE_DIR: state, RSSLAB_LOCK_PATH: join(tmp, 'knobs.lock') };
  const cli = cliPath();
  const trial: Trial = { signal, recovery, moment: 'before-changes', restored: false, leftovers: false, saidSo: true, hung: false, problem: null };
  try {
    const baseline = snapshotKnobs();
    const child = execa(process.execPath, [cli, 'run', 'thp-khugepaged', '--quick', '--tune-system', '--variant', 'pressure', '--format', 'md', '--out', join(tmp, 'out')], {
      reject: false,
      env,
      stdin: 'ignore',
    });
    const pid = child.pid ?? -1;
    const ended = await finished(child, delayMs);
    if (ended) trial.moment = 'ended';
    else if (cgroupsOf(pid).length > 0) trial.moment = 'cgroup';
    else if (journals(state).length > 0) trial.moment = 'knobs';
    child.kill(signal);
    if (!(await finished(child, TRIAL_TIMEOUT_MS))) {
      trial.hung = true;
      child.kill('SIGKILL');
      await child;
    }
    const result = await child;
    const killed = result.signal === 'SIGKILL';
    // what the dead run left for its recovery to put back
    const leftovers = killed && (appliedJournals(state).length > 0 || cgroupsOf(pid).length > 0);
    if (killed && recovery !== 'self') {
      const args = recovery === 'restore' ? ['restore'] : ['run', 'madv-free', '--quick', '--variant', 'dontneed', '--format', 'md', '--out', join(tmp, 'next')];
      const recoveryEnv = recovery === 'restore' ? env : { ...env, RSSLAB_STATE_DIR: join(tmp, 'next-state') };
      const next = execa(process.execPath, [cli, ...args], { reject: false, env: recoveryEnv, stdin: 'ignore' });
      if (!(await finished(next, TRIAL_TIMEOUT_MS))) {
        trial.hung = true;
        next.kill('SIGKILL');
      }
      const r = await next;
      const said = recovery === 'restore' ? String(r.stdout) : String(r.stderr);
      trial.leftovers = leftovers;
      trial.saidSo = !leftovers || said.includes(`restored journal of pid ${pid}`);
      if (r.exitCode !== 0 && !(recovery === 'next-run' && r.exitCode === 1)) {
        trial.problem = `${recovery} exited ${r.exitCode ?? r.signal}: ${String(r.stderr).slice(-300)}`;
      }
    }
    const now = snapshotKnobs();
    const changed = differs(baseline, now);
    const left = cgroupsOf(pid);
    const kept = journals(state);
    trial.restored = changed.length === 0 && left.length === 0 && kept.length === 0;
    if (!trial.saidSo) trial.problem = `trial ${index} (seed ${seed}): ${recovery} restored pid ${pid}'s leftovers without saying so`;
    if (!trial.restored) {
      trial.problem = `trial ${index} (seed ${seed}, ${signal} after ${delayMs} ms, ${recovery}): knobs ${changed.join(', ') || 'ok'}; cgroups left ${left.join(', ') || 'none'}; journals left ${kept.join(', ') || 'none'}`;
      // put the machine back before anything else runs (and before the lock is released)
      await execa(process.execPath, [cli, 'restore'], { reject: false, env });
    }
    return trial;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export const soak: SoakArea = async (options) => {
  const trials = Math.max(1, Math.round(150 * options.scale));
  const random = seeded(options.seed);
  const started = Date.now();
  const done: Trial[] = [];
  let killRecovery = 0;
  // The machine lock is held for a batch of trials at a time: other rsslab users (test workers) wait
  // at most one batch, and the soak does not queue behind them once per trial.
  for (let first = 0; first < trials; first += BATCH) {
    await withSystemLock(
      async () => {
        for (let i = first; i < Math.min(trials, first + BATCH); i++) {
          const signal = SIGNALS[i % SIGNALS.length]!;
          const recovery: Trial['recovery'] = signal === 'SIGKILL' ? (killRecovery++ % 2 === 0 ? 'restore' : 'next-run') : 'self';
          const delayMs = Math.floor(random() * KILL_WINDOW_MS);
          const trial = await oneTrial(i, signal, recovery, delayMs, options.seed);
          done.push(trial);
          options.log(`kills: trial ${i + 1}/${trials} ${signal} after ${delayMs} ms (${trial.moment}), ${trial.recovery}: ${trial.restored ? 'restored' : 'NOT restored'}${trial.hung ? ', HUNG' : ''}`);
        }
      },
      { waitMs: 60 * 60_000 },
    );
  }
  const count = (f: (t: Trial) => boolean): number => done.filter(f).length;
  const kills = done.filter((t) => t.signal === 'SIGKILL' && t.moment !== 'ended');
  const figures = {
    trials: done.length,
    sigkill: count((t) => t.signal === 'SIGKILL'),
    sigint: count((t) => t.signal === 'SIGINT'),
    sigterm: count((t) => t.signal === 'SIGTERM'),
    restored: count((t) => t.restored),
    byRestore: kills.filter((t) => t.recovery === 'restore' && t.restored).length,
    byRestoreOf: kills.filter((t) => t.recovery === 'restore').length,
    byNextRun: kills.filter((t) => t.recovery === 'next-run' && t.restored).length,
    byNextRunOf: kills.filter((t) => t.recovery === 'next-run').length,
    selfRestored: count((t) => t.recovery === 'self' && t.restored),
    selfOf: count((t) => t.recovery === 'self'),
    afterCgroup: count((t) => t.moment === 'cgroup'),
    afterKnobs: count((t) => t.moment === 'knobs'),
    beforeChanges: count((t) => t.moment === 'before-changes'),
    afterEnd: count((t) => t.moment === 'ended'),
    withLeftovers: count((t) => t.leftovers),
    saidSo: count((t) => t.leftovers && t.saidSo),
    hangs: count((t) => t.hung),
    minutes: Math.round((Date.now() - started) / 6000) / 10,
  };
  const pct = Math.round((1000 * figures.restored) / figures.trials) / 10;
  const line =
    `kills: ${figures.trials} trials (${figures.sigkill} SIGKILL, ${figures.sigint} SIGINT, ${figures.sigterm} SIGTERM; ` +
    `${figures.afterCgroup} with knobs changed and the cgroup made, ${figures.afterKnobs} with knobs changed only, ${figures.beforeChanges} before any change, ${figures.afterEnd} after the end), ` +
    `${pct}% restored — SIGKILL by \`rsslab restore\` ${figures.byRestore}/${figures.byRestoreOf}, by the next untuned run ${figures.byNextRun}/${figures.byNextRunOf}; ` +
    `SIGINT/SIGTERM by the run itself ${figures.selfRestored}/${figures.selfOf}; the recovery said so ${figures.saidSo}/${figures.withLeftovers} times; ${figures.hangs} hangs; ${figures.minutes} min (seed ${options.seed})`;
  const result: SoakAreaResult = {
    area: 'kills',
    line,
    figures,
    ok: figures.restored === figures.trials && figures.hangs === 0 && figures.saidSo === figures.withLeftovers,
    failures: done.filter((t) => t.problem !== null || t.hung).map((t) => t.problem ?? `a ${t.signal} trial hung`),
  };
  return result;
};

export default soak;
