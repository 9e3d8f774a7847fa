// One lock for machine-wide knobs. Two rsslab runs (or two test workers) changing khugepaged at the
// same time would journal each other's values as "original" and restore the wrong ones, so whoever
// changes knobs holds this lock. A lock file created with O_CREAT|O_EXCL holds its owner; an owner
// that died (SIGKILL, reboot of a container) leaves a stale lock, which is taken over.
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, constants } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultLockPath } from './paths.js';
import { commandOf, currentIdentity, isAlive, type ProcessIdentity } from './process-identity.js';
import { describeRestore, restoreJournal, type RestoreReport } from './journal.js';

export interface LockOwner extends ProcessIdentity {
  startedAt: string;
  command: string;
  /** where the owner keeps its journals, so whoever takes over a stale lock can restore them */
  stateDir?: string;
}

export interface LockOptions {
  /** lock file; default: knobs.lock in the machine-wide state dir (see paths.ts) */
  path?: string;
  /** how long to wait for another holder; default 0 (fail at once) */
  waitMs?: number;
  pollMs?: number;
  /** told when a stale lock is taken over */
  log?: (line: string) => void;
  /** our journal directory, recorded in the lock file */
  stateDir?: string;
}

export interface SystemLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** lines like "took over a stale lock of pid 123 (...)" */
  readonly notes: string[];
  /** dead owners whose lock was taken over */
  readonly staleOwners: LockOwner[];
  /**
   * their journals, restored on take-over: whoever takes a dead run's lock puts its knobs back before
   * doing anything (a test reading knobs under the lock, a new run snapshotting "originals")
   */
  readonly recovered: RestoreReport[];
  /** idempotent */
  release(): void;
}

/** This process's holdings, so nested users (runner + experiment) share one lock instead of deadlocking. */
const held = new Map<string, { owner: LockOwner; count: number }>();

function readOwner(path: string): LockOwner | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number') return null;
    return {
      pid: parsed.pid,
      procStartTime: typeof parsed.procStartTime === 'number' ? parsed.procStartTime : null,
      startedAt: typeof parsed.startedAt === 'string' ? parsed.startedAt : '?',
      command: typeof parsed.command === 'string' ? parsed.command : '?',
      ...(typeof parsed.stateDir === 'string' ? { stateDir: parsed.stateDir } : {}),
    };
  } catch {
    return null; // missing, or half-written by an owner that is creating it right now
  }
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cannot create lock ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    writeSync(fd, JSON.stringify(owner) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

const UNREADABLE_STALE_MS = 10_000;

function unreadableFor(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function sameOwner(a: LockOwner | null, b: LockOwner): boolean {
  return a !== null && a.pid === b.pid && a.procStartTime === b.procStartTime && a.startedAt === b.startedAt;
}

/**
 * Removes a lock judged stale. Renaming first makes the take-over atomic: if another process took
 * it over and created a fresh lock in between, we notice (content differs) and put it back.
 */
function removeStale(path: string, stale: LockOwner): boolean {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return false;
  }
  if (!sameOwner(readOwner(aside), stale)) {
    try {
      linkSync(aside, path);
    } catch {
      // someone created yet another lock; theirs wins and the one we moved is lost to a race we cannot see
    }
    unlinkSync(aside);
    return false;
  }
  unlinkSync(aside);
  return true;
}

function describe(owner: LockOwner): string {
  return `pid ${owner.pid} (${owner.command}, since ${owner.startedAt})`;
}

export async function acquireLock(options: LockOptions = {}): Promise<SystemLock> {
  const path = options.path ?? defaultLockPath();
  const waitMs = options.waitMs ?? 0;
  const pollMs = options.pollMs ?? 100;
  if (!Number.isFinite(waitMs) || waitMs < 0) throw new RangeError(`waitMs must be a number >= 0, got ${waitMs}`);

  const mine = held.get(path);
  if (mine !== undefined) {
    mine.count += 1;
    return handle(path, mine.owner, [], [], []);
  }

  const me: LockOwner = {
    ...currentIdentity(),
    startedAt: new Date().toISOString(),
    command: commandOf(process.pid) ?? process.argv.join(' '),
    ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
  };
  const notes: string[] = [];
  const staleOwners: LockOwner[] = [];
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (tryCreate(path, me)) break;
    const holder = readOwner(path);
    if (holder !== null && !isAlive(holder)) {
      if (removeStale(path, holder)) {
        const note = `took over a stale lock ${path} of ${describe(holder)}: that process is gone`;
        notes.push(note);
        staleOwners.push(holder);
        options.log?.(note);
      }
      continue;
    }
    if (holder === null && unreadableFor(path) > UNREADABLE_STALE_MS) {
      // an owner killed between creating the file and writing its identity leaves it empty forever
      try {
        unlinkSync(path);
        const note = `removed an empty lock ${path} left by a process killed while creating it`;
        notes.push(note);
        options.log?.(note);
      } catch {
        // someone else removed it
      }
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder === null ? 'another process (lock file unreadable)' : describe(holder);
      throw Object.assign(
        new Error(
          `rsslab's system lock ${path} is held by ${who}; waited ${waitMs} ms. ` +
            `Wait for that run to finish, or stop it (kill ${holder?.pid ?? '<pid>'}) — its knobs are restored when it exits.`,
        ),
        { code: 'ERR_RSSLAB_LOCKED', holder },
      );
    }
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }

  held.set(path, { owner: me, count: 1 });
  const recovered: RestoreReport[] = [];
  for (const dir of new Set(staleOwners.map((o) => o.stateDir).filter((d): d is string => d !== undefined))) {
    for (const report of restoreJournal({ stateDir: dir }).restored) {
      recovered.push(report);
      const note = `found a journal left by a run that died: ${describeRestore(report)}`;
      notes.push(note);
      options.log?.(note);
    }
  }
  return handle(path, me, notes, staleOwners, recovered);
}

/** One acquisition: its release() is idempotent and drops only this acquisition's share. */
function handle(path: string, owner: LockOwner, notes: string[], staleOwners: LockOwner[], recovered: RestoreReport[]): SystemLock {
  let released = false;
  return {
    path,
    owner,
    notes,
    staleOwners,
    recovered,
    release() {
      if (released) return;
      released = true;
      const entry = held.get(path);
      if (entry === undefined || entry.owner !== owner) return;
      entry.count -= 1;
      if (entry.count > 0) return;
      held.delete(path);
      // only remove the file if it is still ours (a stale take-over by someone else would have replaced it)
      if (sameOwner(readOwner(path), owner)) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}

/** True when this process holds the lock at `path` (default: the machine-wide one). */
export function holdsLock(path: string = defaultLockPath()): boolean {
  return held.has(path);
}

/**
 * Runs `fn` holding the machine-wide lock. Tests changing real knobs in parallel vitest workers and
 * the runner both go through here. Waits up to `waitMs` (default 10 minutes: another worker's
 * experiment may be running).
 */
export async function withSystemLock<T>(fn: (lock: SystemLock) => Promise<T> | T, options: LockOptions = {}): Promise<T> {
  const lock = await acquireLock({ waitMs: 600_000, ...options });
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}
