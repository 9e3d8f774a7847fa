import { chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, holdsLock, withSystemLock } from '../../src/system/lock.js';
import { knobPath } from '../../src/system/knobs.js';
import { parseProcStat } from '../../src/system/process-identity.js';
import { openSystemSession } from '../../src/system/session.js';
import { CHILDREN, fixtureTree, isRoot, journalFiles, readKnob, removeTree, skipReason, startChild, tempStateDir } from './helpers.js';

const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) removeTree(dir);
});

function scratch(): string {
  const dir = tempStateDir();
  cleanups.push(dir);
  return dir;
}

function lockPath(): string {
  return join(scratch(), 'knobs.lock');
}

const content = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

async function deadPid(): Promise<number> {
  const child = execa('node', ['-e', '0']);
  const pid = child.pid ?? -1;
  await child;
  return pid;
}

describe('system lock (flock)', () => {
  it('acquire - the file names pid, startedAt and command; release is idempotent and removes it', async () => {
    const path = lockPath();
    const lock = await acquireLock({ path });
    expect(content(path)).toMatchObject({ pid: process.pid, startedAt: lock.owner.startedAt });
    expect(String(content(path).command)).toMatch(/node/);
    expect(holdsLock(path)).toBe(true);
    lock.release();
    lock.release();
    expect(existsSync(path)).toBe(false);
    expect(holdsLock(path)).toBe(false);
  });

  it('nested acquire in one process - shared, held until the last release', async () => {
    const path = lockPath();
    const outer = await acquireLock({ path });
    const inner = await acquireLock({ path });
    inner.release();
    inner.release(); // a second release of the same handle must not drop the outer one's share
    expect(content(path)).toMatchObject({ pid: process.pid });
    expect(holdsLock(path)).toBe(true);
    outer.release();
    expect(existsSync(path)).toBe(false);
  });

  it('a second process waits, then times out naming the holder; once the holder is SIGKILLed the lock is free at once', async () => {
    const path = lockPath();
    const { child, info } = await startChild<{ pid: number }>('system-hold-lock.mjs', [path]);
    try {
      const started = Date.now();
      const error = await acquireLock({ path, waitMs: 600, pollMs: 50 }).catch((e: unknown) => e as Error & { code?: string });
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe('ERR_RSSLAB_LOCKED');
      expect(error.message).toContain(`held by pid ${info.pid}`);
      expect(error.message).toContain('system-hold-lock.mjs');
      expect(error.message).toMatch(/waited 600 ms/);
      expect(error.message).toContain(`kill ${info.pid}`);
    } finally {
      child.kill('SIGKILL');
      await child;
    }
    // the kernel dropped the flock with the process: no waiting, no guessing from the pid
    const notes: string[] = [];
    const lock = await acquireLock({ path, waitMs: 0, log: (l) => notes.push(l) });
    expect(notes).toEqual([expect.stringMatching(new RegExp(`took rsslab's lock .* after pid ${info.pid} .*which died holding it`))]);
    lock.release();
  });

  it('two sessions - the second waits for the lock, then fails naming the first one\'s pid; nothing is changed (fixture tree)', async () => {
    const path = lockPath();
    const root = fixtureTree('sysfs-thp');
    const state = scratch();
    cleanups.push(root);
    const { child, info } = await startChild<{ pid: number }>('system-hold-lock.mjs', [path]);
    try {
      await expect(openSystemSession({ root, stateDir: state, lockPath: path, lockWaitMs: 300 })).rejects.toThrow(
        new RegExp(`system lock .* is held by pid ${info.pid} .*waited 300 ms`),
      );
    } finally {
      child.kill('SIGKILL');
      await child;
    }
    const session = await openSystemSession({ root, stateDir: state, lockPath: path });
    expect(session.log.join('\n')).toContain(`after pid ${info.pid}`);
    expect(holdsLock(path)).toBe(true);
    session.close();
    expect(holdsLock(path)).toBe(false);
  });

  it('a SIGKILLed holder\'s journal is restored by the next taker of its lock, from the state dir the lock names (fixture tree)', async () => {
    const path = lockPath();
    const root = fixtureTree('sysfs-thp');
    const state = scratch();
    cleanups.push(root);
    const { child, info } = await startChild<{ pid: number }>(
      'system-apply-and-hang.mjs',
      [JSON.stringify({ root, lockPath: path, knobs: { enabled: 'never', 'khugepaged/max_ptes_none': 0 } })],
      { RSSLAB_STATE_DIR: state },
    );
    child.kill('SIGKILL');
    await child;
    expect(readKnob('enabled', root)).toBe('never');
    expect(journalFiles(state)).toHaveLength(1);
    const lock = await acquireLock({ path, root });
    try {
      expect(lock.staleOwners.map((o) => o.pid)).toEqual([info.pid]);
      expect(lock.recovered.map((r) => [r.owner.pid, r.ok])).toEqual([[info.pid, true]]);
      expect(lock.notes.join('\n')).toMatch(/found a journal left by a run that died: .*max_ptes_none=511.*enabled=madvise/);
      expect(readKnob('enabled', root)).toBe('madvise');
      expect(readKnob('khugepaged/max_ptes_none', root)).toBe('511');
      expect(journalFiles(state)).toEqual([]);
    } finally {
      lock.release();
    }
  });

  it('three processes racing for the lock many rounds, while holders are SIGKILLed in between, never hold it at the same time', { timeout: 120_000 }, async () => {
    const path = lockPath();
    const marker = join(scratch(), 'inside');
    const rounds = 300;
    const KILLS = 10;
    const racers = [0, 1, 2].map(() => execa('node', [join(CHILDREN, 'system-lock-race.mjs'), path, marker, String(rounds)], { reject: false }));
    // holders that die holding the lock: the racers must take it over one at a time
    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      const { child } = await startChild<{ pid: number }>('system-hold-lock.mjs', [path]);
      await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGKILL');
      await child;
      killed += 1;
    }
    const results = await Promise.all(racers);
    const done = results.map((r) => JSON.parse(String(r.stdout).split('done ')[1] ?? '{}') as { rounds?: number; violations?: number });
    expect(killed).toBe(KILLS);
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    expect(done).toEqual([0, 1, 2].map(() => ({ rounds, violations: 0 })));
  });

  it('racing an rsslab from before flock (pid-file lock) on the same file, neither ever holds it at the same time as the other', { timeout: 120_000 }, async () => {
    const path = lockPath();
    const marker = join(scratch(), 'inside');
    const rounds = 200;
    const racers = [
      execa('node', [join(CHILDREN, 'system-lock-race.mjs'), path, marker, String(rounds)], { reject: false }),
      execa('node', [join(CHILDREN, 'system-lock-race.mjs'), path, marker, String(rounds)], { reject: false }),
      execa('node', [join(CHILDREN, 'system-old-lock-race.mjs'), path, marker, String(rounds)], { reject: false }),
    ];
    const results = await Promise.all(racers);
    const done = results.map((r) => JSON.parse(String(r.stdout).split('done ')[1] ?? '{}') as { rounds?: number; violations?: number });
    expect(results.map((r) => r.exitCode), results.map((r) => String(r.stderr)).join('\n')).toEqual([0, 0, 0]);
    expect(done).toEqual([0, 1, 2].map(() => ({ rounds, violations: 0 })));
  });

  it('a live holder whose lock file is empty and old is still the holder (nothing is unlinked without asking the kernel)', async () => {
    const path = lockPath();
    const { child, info } = await startChild<{ pid: number }>('system-hold-lock.mjs', [path]);
    try {
      // what a holder killed between open and write leaves, or anyone able to truncate the file
      writeFileSync(path, '');
      const old = new Date(Date.now() - 60_000);
      utimesSync(path, old, old);
      const error = await acquireLock({ path, waitMs: 300, pollMs: 20 }).catch((e: unknown) => e as Error & { code?: string });
      expect(error.code).toBe('ERR_RSSLAB_LOCKED');
      expect(existsSync(path)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await child;
    }
    expect(info.pid).toBeGreaterThan(0);
  });

  it('a file naming a dead pid (no flock held) is taken, saying whose it was', async () => {
    const path = lockPath();
    const pid = await deadPid();
    writeFileSync(path, JSON.stringify({ pid, procStartTime: 1, startedAt: '2020-01-01T00:00:00.000Z', command: 'rsslab run' }), { mode: 0o600 });
    const lock = await acquireLock({ path });
    expect(lock.notes).toEqual([`took rsslab's lock ${path} after pid ${pid} (rsslab run, since 2020-01-01T00:00:00.000Z), which died holding it`]);
    expect(content(path).pid).toBe(process.pid);
    lock.release();
  });

  it('a live process named in the file without a flock (an rsslab from before flock) still holds it', async () => {
    const path = lockPath();
    const start = parseProcStat(readFileSync(`/proc/${process.ppid}/stat`, 'utf8'))?.startTime ?? null;
    writeFileSync(path, JSON.stringify({ pid: process.ppid, procStartTime: start, startedAt: 'x', command: 'older rsslab' }), { mode: 0o600 });
    const error = await acquireLock({ path, waitMs: 200, pollMs: 20 }).catch((e: unknown) => e as Error & { code?: string });
    expect(error.code).toBe('ERR_RSSLAB_LOCKED');
    expect(error.message).toContain(`held by pid ${process.ppid} (older rsslab`);
  });

  it('a live pid with another start time (pid reuse) does not hold it', async () => {
    const path = lockPath();
    writeFileSync(path, JSON.stringify({ pid: process.ppid, procStartTime: 1, startedAt: 'x', command: 'old rsslab' }), { mode: 0o600 });
    const lock = await acquireLock({ path });
    expect(lock.notes[0]).toMatch(new RegExp(`after pid ${process.ppid} \\(old rsslab`));
    lock.release();
  });

  it('a symbolic link planted at the lock path is refused, not followed', async () => {
    const dir = scratch();
    const target = join(dir, 'target');
    writeFileSync(target, 'theirs\n', { mode: 0o600 });
    symlinkSync(target, join(dir, 'knobs.lock'));
    await expect(acquireLock({ path: join(dir, 'knobs.lock') })).rejects.toThrow(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('theirs\n');
  });

  it.skipIf(skipReason(!isRoot, 'chown to another user needs root'))('a lock naming a state dir owned by another user: its journals are refused, nothing is written (fixture tree)', async () => {
    const path = lockPath();
    const root = fixtureTree('sysfs-thp');
    cleanups.push(root);
    const theirs = join(scratch(), 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    const knob = knobPath('enabled', root);
    writeFileSync(knob, 'never\n');
    writeFileSync(
      join(theirs, 'journal-999999-1.json'),
      JSON.stringify({ journalVersion: 1, pid: 999999, procStartTime: 1, startedAt: 'x', command: 'x', entries: [{ path: knob, original: 'always', applied: 'never' }], cgroups: [] }),
    );
    chownSync(theirs, 65534, 65534);
    writeFileSync(path, JSON.stringify({ pid: await deadPid(), procStartTime: 1, startedAt: 'x', command: 'x', stateDir: theirs }), { mode: 0o600 });
    const lock = await acquireLock({ path, root });
    lock.release();
    expect(lock.recovered).toEqual([]);
    expect(lock.notes.join('\n')).toMatch(new RegExp(`refusing to restore journals from ${theirs}, named by the lock file: .*owned by uid 65534, not by us`));
    expect(readKnob('enabled', root)).toBe('never');
  });

  it('withSystemLock - holds the lock during fn and releases it after a throw', async () => {
    const path = lockPath();
    await expect(
      withSystemLock(
        () => {
          expect(holdsLock(path)).toBe(true);
          throw new Error('inside');
        },
        { path },
      ),
    ).rejects.toThrow('inside');
    expect(holdsLock(path)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  it('acquire - a negative waitMs is a RangeError', async () => {
    await expect(acquireLock({ path: lockPath(), waitMs: -1 })).rejects.toThrow(RangeError);
  });
});
