// Every change to the machine is undone: by the session's own guards on SIGTERM/SIGINT/uncaught
// errors, and by restoreJournal() (what `rsslab restore` and the next session run) after SIGKILL.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupSupport } from '../../src/system/cgroup.js';
import { restoreJournal } from '../../src/system/journal.js';
import { knobPath, snapshotKnobs } from '../../src/system/knobs.js';
import { withSystemLock } from '../../src/system/lock.js';
import { openSystemSession } from '../../src/system/session.js';
import { fixtureTree, isRoot, journalFiles, readKnob, removeTree, skipReason, startChild, sweepCgroups, tempStateDir } from './helpers.js';

interface ChildInfo {
  pid: number;
  knobs: Array<{ path: string; from: string; to: string }>;
  cgroup: string | null;
  journal: string;
}

const cleanups: string[] = [];
const childPids: number[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) removeTree(dir);
  const parent = cgroupSupport().parent;
  if (parent !== null) sweepCgroups(parent, childPids.splice(0));
});

const SCAN = 'khugepaged/scan_sleep_millisecs';
const MiB = 1024 * 1024;
const v1 = cgroupSupport();
const noRealSystem = !isRoot || !v1.canCreate;
const why = !isRoot ? 'needs root (changes khugepaged and creates a memory cgroup)' : `no memory cgroup: ${v1.reason}`;

describe('restore on the real kernel', () => {
  it.skipIf(skipReason(noRealSystem, why))(
    'SIGKILL - knob and cgroup survive the kill; restoreJournal brings the value back and removes the cgroup',
    async () => {
      const state = tempStateDir();
      cleanups.push(state);
      await withSystemLock(async () => {
        const before = readKnob(SCAN);
        const { child, info } = await startChild<ChildInfo>(
          'system-apply-and-hang.mjs',
          [JSON.stringify({ knobs: { [SCAN]: 100 }, cgroupLimitBytes: 64 * MiB })],
          { RSSLAB_STATE_DIR: state },
        );
        childPids.push(info.pid);
        try {
          expect(info.knobs).toEqual([{ path: knobPath(SCAN), from: before, to: '100' }]);
          child.kill('SIGKILL');
          const result = await child;
          expect(result.signal).toBe('SIGKILL');
          // nothing ran in the child after the kill: the machine is still changed
          expect(readKnob(SCAN)).toBe('100');
          expect(info.cgroup).not.toBeNull();
          expect(existsSync(info.cgroup ?? '')).toBe(true);
          expect(journalFiles(state)).toHaveLength(1);

          const restored = restoreJournal({ stateDir: state });
          expect(restored.skipped).toEqual([]);
          expect(restored.restored).toHaveLength(1);
          expect(restored.restored[0]?.owner.pid).toBe(info.pid);
          expect(restored.restored[0]?.knobs).toEqual([{ path: knobPath(SCAN), value: before, ok: true }]);
          expect(restored.restored[0]?.cgroups).toEqual([{ path: info.cgroup, ok: true }]);
          expect(readKnob(SCAN)).toBe(before);
          expect(existsSync(info.cgroup ?? '')).toBe(false);
          expect(journalFiles(state)).toEqual([]);
        } finally {
          child.kill('SIGKILL');
          restoreJournal({ stateDir: state });
        }
      });
    },
  );

  it.skipIf(skipReason(noRealSystem, why)).each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s - the guards restore the knob and remove the cgroup before the child dies', async (signal) => {
    const state = tempStateDir();
    cleanups.push(state);
    await withSystemLock(async () => {
      const before = readKnob(SCAN);
      const { child, info } = await startChild<ChildInfo>(
        'system-apply-and-hang.mjs',
        [JSON.stringify({ knobs: { [SCAN]: 100 }, cgroupLimitBytes: 64 * MiB, guard: true })],
        { RSSLAB_STATE_DIR: state },
      );
      childPids.push(info.pid);
      try {
        expect(readKnob(SCAN)).toBe('100');
        expect(existsSync(info.cgroup ?? '')).toBe(true);
        child.kill(signal);
        const result = await child;
        // re-raised: the parent sees the child killed by the same signal
        expect(result.signal).toBe(signal);
        expect(readKnob(SCAN)).toBe(before);
        expect(existsSync(info.cgroup ?? '')).toBe(false);
        expect(journalFiles(state)).toEqual([]);
      } finally {
        child.kill('SIGKILL');
        restoreJournal({ stateDir: state });
      }
    });
  });

  it.skipIf(skipReason(noRealSystem, why)).each(['throw', 'reject', 'exit'] as const)('%s - an uncaught error or process.exit restores before the child ends', async (then) => {
    const state = tempStateDir();
    cleanups.push(state);
    await withSystemLock(async () => {
      const before = readKnob(SCAN);
      const { child, info } = await startChild<ChildInfo>(
        'system-apply-and-hang.mjs',
        [JSON.stringify({ knobs: { [SCAN]: 100 }, cgroupLimitBytes: 64 * MiB, guard: true, then })],
        { RSSLAB_STATE_DIR: state },
      );
      childPids.push(info.pid);
      try {
        const result = await child;
        expect(result.exitCode).toBe(then === 'exit' ? 3 : 1);
        if (then !== 'exit') expect(String(result.stderr)).toMatch(then === 'throw' ? /uncaughtException: Error: boom/ : /unhandledRejection: Error: rejected/);
        expect(readKnob(SCAN)).toBe(before);
        expect(existsSync(info.cgroup ?? '')).toBe(false);
        expect(journalFiles(state)).toEqual([]);
      } finally {
        child.kill('SIGKILL');
        restoreJournal({ stateDir: state });
      }
    });
  });
});

describe('stale journals (fixture tree)', () => {
  it('a journal whose owner was SIGKILLed is restored at the next session start, which says so (fixture tree)', async () => {
    const root = fixtureTree('sysfs-thp');
    const state = tempStateDir();
    cleanups.push(root, state);
    const { child, info } = await startChild<ChildInfo>(
      'system-apply-and-hang.mjs',
      [JSON.stringify({ root, knobs: { enabled: 'never', 'khugepaged/max_ptes_none': 0 } })],
      { RSSLAB_STATE_DIR: state },
    );
    child.kill('SIGKILL');
    await child;
    expect(readKnob('enabled', root)).toBe('never');
    expect(readKnob('khugepaged/max_ptes_none', root)).toBe('0');

    const lines: string[] = [];
    const session = await openSystemSession({ root, stateDir: state, lock: false, log: (l) => lines.push(l) });
    expect(session.recovered).toHaveLength(1);
    expect(session.recovered[0]?.owner.pid).toBe(info.pid);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`found a journal left by a run that died: restored journal of pid ${info.pid} .*max_ptes_none=511.*enabled=madvise`));
    expect(session.log).toEqual(lines);
    expect(snapshotKnobs({ root })).toMatchObject({ enabled: 'madvise', 'khugepaged/max_ptes_none': '511' });
    expect(journalFiles(state)).toEqual([]);
    session.close();
  });

  it('a journal whose owner still runs is left alone, with the reason (fixture tree)', () => {
    const root = fixtureTree('sysfs-thp');
    const state = tempStateDir();
    cleanups.push(root, state);
    const path = knobPath('enabled', root);
    writeFileSync(path, 'never\n');
    // owned by our parent (vitest's main process): alive
    const journal = join(state, `journal-${process.ppid}-1.json`);
    writeFileSync(
      journal,
      JSON.stringify({ journalVersion: 1, pid: process.ppid, procStartTime: null, startedAt: 'x', command: 'vitest', entries: [{ path, original: 'madvise', applied: 'never' }], cgroups: [] }),
    );
    const result = restoreJournal({ stateDir: state });
    expect(result.restored).toEqual([]);
    expect(result.skipped).toEqual([{ journal, pid: process.ppid, reason: expect.stringMatching(/is still running/) as unknown as string }]);
    expect(readKnob('enabled', root)).toBe('never');
  });

  it('an unreadable journal is reported, not trusted (fixture tree)', () => {
    const state = tempStateDir();
    cleanups.push(state);
    const journal = join(state, 'journal-1-1.json');
    writeFileSync(journal, '{"journalVersion": 1, "pid": 1, "entries": [');
    const result = restoreJournal({ stateDir: state });
    expect(result.restored).toEqual([]);
    expect(result.skipped).toEqual([{ journal, pid: -1, reason: expect.stringMatching(/^unreadable: /) as unknown as string }]);
  });

  it('a journal whose pid was reused by another process (start time differs) counts as stale (fixture tree)', () => {
    const root = fixtureTree('sysfs-thp');
    const state = tempStateDir();
    cleanups.push(root, state);
    const path = knobPath('khugepaged/pages_to_scan', root);
    writeFileSync(path, '65536\n');
    writeFileSync(
      join(state, `journal-${process.ppid}-1.json`),
      JSON.stringify({ journalVersion: 1, pid: process.ppid, procStartTime: 1, startedAt: 'x', command: 'old', entries: [{ path, original: '4096', applied: '65536' }], cgroups: [] }),
    );
    const result = restoreJournal({ stateDir: state, root });
    expect(result.restored.map((r) => r.ok)).toEqual([true]);
    expect(readKnob('khugepaged/pages_to_scan', root)).toBe('4096');
  });
});
