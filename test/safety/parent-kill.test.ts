// Kill `rsslab run` at random moments of a run that changed khugepaged knobs AND made a memory cgroup
// (thp-khugepaged's pressure variant with --tune-system). After SIGINT/SIGTERM the run must have
// undone everything itself; after SIGKILL, `rsslab restore` or the next (untuned) run's start must.
// In isolation: the test holds rsslab's machine-wide lock throughout, so no other rsslab process
// changes or restores anything meanwhile, and each trial's run and recovery use a private lock
// (RSSLAB_LOCK_PATH) and state dir; knobs are read directly. The kill moments come from a seeded
// PRNG, printed for reproduction.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { execa } from 'execa';
import { join } from 'node:path';
import { snapshotKnobs } from '../../src/system/knobs.js';
import { withSystemLock } from '../../src/system/lock.js';
import { CLI, isRoot, journals, prng, rsslab, rsslabCgroups, sleep, tmp, waitFor, warnSkip } from './helpers.js';

const THP = '/sys/kernel/mm/transparent_hugepage';
const canRun = isRoot && existsSync(`${THP}/khugepaged/scan_sleep_millisecs`) && existsSync('/sys/fs/cgroup/memory');
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;
const TRIALS_PER_SIGNAL = 4;

describe.skipIf(warnSkip(!canRun, 'needs root, THP knobs and the v1 memory controller (kills runs that changed knobs and made a cgroup)'))('rsslab run killed at random moments', () => {
  it(`INT/TERM/KILL × ${TRIALS_PER_SIGNAL} - knobs back and no rsslab cgroup left after every kill`, { timeout: 20 * 60_000 }, async () => {
    const seed = Number(process.env.RSSLAB_KILL_SEED ?? Date.now() % 1_000_000);
    console.info(`parent-kill seed ${seed} (RSSLAB_KILL_SEED=${seed} replays the same kill moments)`);
    const random = prng(seed);
    await withSystemLock(async () => {
    // other worktrees' leftovers may exist; what this test owns is every cgroup its runs make
    const baseline = { knobs: snapshotKnobs() };
    const outcomes: string[] = [];

    for (let trial = 0; trial < SIGNALS.length * TRIALS_PER_SIGNAL; trial++) {
      const signal = SIGNALS[trial % SIGNALS.length]!;
      const state = tmp('rsslab-state-');
      const lockPath = join(tmp('rsslab-lock-'), 'knobs.lock');
      const child = execa(process.execPath, [CLI, 'run', 'thp-khugepaged', '--quick', '--tune-system', '--variant', 'pressure', '--format', 'md', '--out', tmp()], {
        reject: false,
        env: { CI: 'true', RSSLAB_STATE_DIR: state, RSSLAB_LOCK_PATH: lockPath },
      });
      const pid = child.pid!;
      // Half the trials aim at the moment the cgroup exists, half at any moment after the first knob.
      const aimAtCgroup = trial % 2 === 1;
      const mine = () => rsslabCgroups().filter((p) => p.includes(`/rsslab-${pid}-`));
      const started = await waitFor(() => child.exitCode !== null || (aimAtCgroup ? mine().length > 0 : journals(state).length > 0), 15 * 60_000, 10);
      expect(started).toBe(true);
      await sleep(Math.floor(random() * (aimAtCgroup ? 2500 : 4000)));
      const hadJournal = journals(state).length > 0;
      const hadCgroup = mine().length > 0;
      child.kill(signal);
      const r = await child;
      outcomes.push(`${signal} after ${hadCgroup ? 'cgroup' : hadJournal ? 'knobs' : 'the end'}`);

      if (signal === 'SIGKILL') {
        // killed — or the quick run had already finished when the signal came (then it restored itself)
        if (r.signal !== 'SIGKILL') expect([0, 1]).toContain(r.exitCode);
        const killedChanged = r.signal === 'SIGKILL' && journals(state).length > 0;
        if (trial % 2 === 0) {
          const restore = await rsslab(['restore'], { RSSLAB_STATE_DIR: state, RSSLAB_LOCK_PATH: lockPath });
          expect(restore.exitCode, restore.stderr).toBe(0);
          if (killedChanged) expect(restore.stdout).toMatch(new RegExp(`restored journal of pid ${pid}`));
        } else {
          // the next run's start, untuned, from another state dir: it finds the dead run's journal
          // through the lock file that run died holding, restores it and says so
          const next = await rsslab(['run', 'madv-free', '--quick', '--variant', 'dontneed', '--format', 'md', '--out', tmp()], { RSSLAB_STATE_DIR: tmp('rsslab-state-'), RSSLAB_LOCK_PATH: lockPath });
          expect(next.exitCode, next.stderr).toBeLessThanOrEqual(1);
          if (killedChanged) expect(next.stderr).toMatch(new RegExp(`rsslab: first put back what a run that died left behind: restored journal of pid ${pid}`));
        }
      } else if (r.signal) {
        // the guards restore, then re-raise the signal
        expect(r.signal).toBe(signal);
      } else {
        // … or exit 128+n when another listener remains; 0/1 when the run ended before the signal
        expect([0, 1, 128 + constants.signals[signal]]).toContain(r.exitCode);
      }
      // INT/TERM: the run itself removed its journal, i.e. restored everything, before it died
      if (signal !== 'SIGKILL') expect(journals(state), `${signal} trial ${trial}`).toEqual([]);
      expect(journals(state), `trial ${trial}`).toEqual([]);
      expect(snapshotKnobs(), `${signal} trial ${trial} (seed ${seed})`).toEqual(baseline.knobs);
      expect(mine(), `${signal} trial ${trial} (seed ${seed})`).toEqual([]);
    }
    console.info(`parent-kill trials: ${outcomes.join(', ')}`);
    // the trials aimed at the cgroup did hit it (the run makes it before its child starts)
    expect(outcomes.filter((o) => o.endsWith('cgroup')).length).toBeGreaterThanOrEqual(1);
    }, { waitMs: 15 * 60_000 });
  });
});
