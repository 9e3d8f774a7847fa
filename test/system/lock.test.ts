import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, holdsLock, withSystemLock } from '../../src/system/lock.js';
import { openSystemSession } from '../../src/system/session.js';
import { fixtureTree, removeTree, startChild, tempStateDir } from './helpers.js';

const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) removeTree(dir);
});

function lockPath(): string {
  const dir = tempStateDir();
  cleanups.push(dir);
  return join(dir, 'knobs.lock');
}

async function deadPid(): Promise<number> {
  const child = execa('node', ['-e', '0']);
  const pid = child.pid ?? -1;
  await child;
  return pid;
}

describe('system lock', () => {
  it('acquire - the lock file holds pid, startedAt and command; release is idempotent and removes it', async () => {
    const path = lockPath();
    const lock = await acquireLock({ path });
    const content = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(content).toMatchObject({ pid: process.pid, startedAt: lock.owner.startedAt });
    expect(String(content.command)).toMatch(/node/);
    expect(holdsLock(path)).toBe(true);
    lock.release();
    lock.release();
    expect(existsSync(path)).toBe(false);
    expect(holdsLock(path)).toBe(false);
  });

  it('nested acquire in one process - shared, the file stays until the last release', async () => {
    const path = lockPath();
    const outer = await acquireLock({ path });
    const inner = await acquireLock({ path });
    inner.release();
    inner.release(); // a second release of the same handle must not drop the outer one's share
    expect(existsSync(path)).toBe(true);
    outer.release();
    expect(existsSync(path)).toBe(false);
  });

  it('a second process waits, then times out with an error naming the holder pid and command', async () => {
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
    // once the holder is gone (SIGKILL: it never released) the lock is stale and taken over
    const notes: string[] = [];
    const lock = await acquireLock({ path, log: (l) => notes.push(l) });
    expect(notes).toEqual([expect.stringMatching(new RegExp(`took over a stale lock .* of pid ${info.pid} .*that process is gone`))]);
    lock.release();
  });

  it('two sessions - the second waits for the lock, then fails naming the first one\'s pid; nothing is changed (fixture tree)', async () => {
    const path = lockPath();
    const root = fixtureTree('sysfs-thp');
    const state = tempStateDir();
    cleanups.push(root, state);
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
    expect(session.log.join('\n')).toContain(`took over a stale lock ${path} of pid ${info.pid}`);
    expect(holdsLock(path)).toBe(true);
    session.close();
    expect(holdsLock(path)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  it('a waiting acquirer gets the lock once the holder dies', async () => {
    const path = lockPath();
    const { child, info } = await startChild<{ pid: number }>('system-hold-lock.mjs', [path]);
    const waiting = acquireLock({ path, waitMs: 30_000, pollMs: 50 });
    setTimeout(() => child.kill('SIGKILL'), 300);
    const lock = await waiting;
    expect(lock.notes.join('\n')).toContain(`pid ${info.pid}`);
    lock.release();
    await child;
  });

  it('stale lock - a dead pid is taken over, saying so', async () => {
    const path = lockPath();
    const pid = await deadPid();
    writeFileSync(path, JSON.stringify({ pid, procStartTime: 1, startedAt: '2020-01-01T00:00:00.000Z', command: 'rsslab run' }));
    const lock = await acquireLock({ path });
    expect(lock.notes).toEqual([`took over a stale lock ${path} of pid ${pid} (rsslab run, since 2020-01-01T00:00:00.000Z): that process is gone`]);
    expect((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid).toBe(process.pid);
    lock.release();
  });

  it('stale lock - a live pid with another start time (pid reuse) is taken over', async () => {
    const path = lockPath();
    writeFileSync(path, JSON.stringify({ pid: process.ppid, procStartTime: 1, startedAt: 'x', command: 'old rsslab' }));
    const lock = await acquireLock({ path });
    expect(lock.notes[0]).toMatch(new RegExp(`stale lock .* of pid ${process.ppid} \\(old rsslab`));
    lock.release();
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
    expect(existsSync(path)).toBe(false);
  });

  it('acquire - a negative waitMs is a RangeError', async () => {
    await expect(acquireLock({ path: lockPath(), waitMs: -1 })).rejects.toThrow(RangeError);
  });
});
