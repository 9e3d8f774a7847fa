// One lock for machine-wide knobs. Two rsslab runs (or two test workers) changing khugepaged at the
// same time would journal each other's values as "original" and restore the wrong ones, so whoever
// changes knobs holds this lock. The kernel decides who holds it: flock(2) on knobs.lock (through the
// addon, native/lock.cc), dropped by the kernel the moment its holder dies, however it dies. Its
// content is information only: who holds it (pid, start time, command) and where that holder keeps its
// journals, so whoever takes the lock after a holder that died without releasing restores that
// holder's journals first. After taking the flock, a taker checks that the file it locked is still the
// one at the path (a clean release removes it; see release()), so no two processes ever hold it.
import { fstatSync, ftruncateSync, lstatSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { constants as osConstants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { native, type NativeFileLock } from '../native.js';
import { resolveLockPath, unsafeDirReason } from './paths.js';
import { commandOf, currentIdentity, isAlive, type ProcessIdentity } from './process-identity.js';
import { describeRestore, restoreJournal, type RestoreReport } from './journal.js';

export interface LockOwner extends ProcessIdentity {
  startedAt: string;
  command: string;
  /** where the owner keeps its journals, so whoever takes over after its death can restore them */
  stateDir?: string;
}

export interface LockOptions {
  /** lock file; default: RSSLAB_LOCK_PATH, else knobs.lock in the machine-wide state dir (see paths.ts) */
  path?: string;
  /** how long to wait for another holder; default 0 (fail at once) */
  waitMs?: number;
  pollMs?: number;
  /** told when a dead holder's journals are restored or refused */
  log?: (line: string) => void;
  /** our journal directory, recorded in the lock file */
  stateDir?: string;
  /** file system root for restoring a dead holder's journals (a fixture tree in tests) */
  root?: string;
}

export interface SystemLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** lines like "took the lock of pid 123 (...), which died holding it" */
  readonly notes: string[];
  /** holders that died without releasing: the lock was free, their journals were not restored yet */
  readonly staleOwners: LockOwner[];
  /**
   * their journals, restored on taking the lock: whoever takes a dead run's lock puts its knobs back
   * before doing anything (a test reading knobs under the lock, a new run snapshotting "originals")
   */
  readonly recovered: RestoreReport[];
  /** idempotent */
  release(): void;
}

/** This process's holdings, so nested users (runner + experiment) share one lock instead of deadlocking. */
const held = new Map<string, { owner: LockOwner; file: NativeFileLock; count: number }>();

const MAX_LOCK_FILE_BYTES = 64 * 1024;
const EMPTY_GRACE_MS = 2000;

function readAll(fd: number): string {
  const buffer = Buffer.alloc(MAX_LOCK_FILE_BYTES);
  let total = 0;
  for (;;) {
    const n = readSync(fd, buffer, total, buffer.length - total, total);
    if (n === 0 || total + n >= buffer.length) return buffer.subarray(0, total + n).toString('utf8');
    total += n;
  }
}

/** The owner a lock file names; null when it is empty, released, or not an owner record. */
function parseOwner(text: string): LockOwner | null {
  let parsed: Partial<LockOwner> & { released?: unknown };
  try {
    parsed = JSON.parse(text) as Partial<LockOwner> & { released?: unknown };
  } catch {
    return null; // empty: a holder killed between open and write, or never written
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.released === true) return null;
  if (typeof parsed.pid !== 'number' || !Number.isSafeInteger(parsed.pid) || parsed.pid <= 0) return null;
  return {
    pid: parsed.pid,
    procStartTime: typeof parsed.procStartTime === 'number' ? parsed.procStartTime : null,
    startedAt: typeof parsed.startedAt === 'string' ? parsed.startedAt.slice(0, 64) : '?',
    command: typeof parsed.command === 'string' ? parsed.command.slice(0, 512) : '?',
    ...(typeof parsed.stateDir === 'string' ? { stateDir: parsed.stateDir } : {}),
  };
}

function writeContent(fd: number, value: LockOwner): void {
  const bytes = Buffer.from(JSON.stringify(value) + '\n');
  ftruncateSync(fd, 0);
  writeSync(fd, bytes, 0, bytes.length, 0);
}

function describe(owner: LockOwner): string {
  return `pid ${owner.pid} (${owner.command}, since ${owner.startedAt})`;
}

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1;
}

/**
 * Opens the lock file and checks it is ours: a regular file owned by us that nobody else may write
 * (its directory passed the state-dir checks; O_NOFOLLOW refused a symlink at the name itself).
 */
function openLockFile(path: string): NativeFileLock {
  const dirReason = unsafeDirReason(dirname(path));
  if (dirReason !== null) throw new Error(`refusing rsslab's lock ${path}: its directory ${dirReason}`);
  let file: NativeFileLock;
  try {
    file = new (native().FileLock)(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' ? 'it is a symbolic link (remove it)' : (error as Error).message;
    throw new Error(`cannot open rsslab's lock ${path}: ${why}`, { cause: error });
  }
  const stat = fstatSync(file.fd);
  const me = uid();
  if (!stat.isFile() || (me >= 0 && stat.uid !== me) || (stat.mode & 0o022) !== 0) {
    file.close();
    throw new Error(
      `refusing rsslab's lock ${path}: it is ${!stat.isFile() ? 'not a regular file' : stat.uid !== me ? `owned by uid ${stat.uid}, not by us (uid ${me})` : `writable by others (mode ${(stat.mode & 0o777).toString(8)})`}; remove it`,
    );
  }
  return file;
}

/** Whether `file` is still the file at `path` (an rsslab before flock renamed and unlinked its pid file). */
function isCurrent(file: NativeFileLock, path: string): boolean {
  try {
    const a = fstatSync(file.fd);
    const b = lstatSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

type Attempt = { got: true; file: NativeFileLock; previous: LockOwner | null } | { got: false; holder: LockOwner | null };

function attempt(path: string, me: LockOwner): Attempt {
  const file = openLockFile(path);
  const errno = file.tryLock();
  if (errno === osConstants.errno.EWOULDBLOCK || errno === osConstants.errno.EAGAIN) {
    const holder = parseOwner(readAll(file.fd));
    file.close();
    return { got: false, holder };
  }
  if (errno !== 0) {
    file.close();
    throw Object.assign(new Error(`cannot lock ${path}: flock failed with errno ${errno}`), { errno });
  }
  if (!isCurrent(file, path)) {
    file.close();
    return { got: false, holder: null };
  }
  const text = readAll(file.fd);
  // Empty and just made: an rsslab from before flock creates its file (O_EXCL) and then writes its
  // name, without a flock; give it the moment. (A flock holder is never seen here: we hold the flock.
  // An empty file that stays empty was left by a process killed between the two steps.)
  if (!file.created && text.trim() === '' && Date.now() - fstatSync(file.fd).mtimeMs < EMPTY_GRACE_MS) {
    file.close();
    return { got: false, holder: null };
  }
  const previous = parseOwner(text);
  // flock is ours, yet the file names a live process that is not us and never released: an rsslab
  // from before flock (a pid-file lock, which takes no flock) holds it. Respect it.
  if (previous !== null && previous.pid !== process.pid && isAlive(previous)) {
    file.close();
    return { got: false, holder: previous };
  }
  // Name ourselves, then check the file is still the one at `path`: an rsslab from before flock that
  // found it naming a dead holder a moment ago may have moved it aside to make its own. It re-reads
  // the file after moving it and puts it back when it names a live holder, so once our name is in
  // and the file is still in place, it stays ours.
  writeContent(file.fd, me);
  if (!isCurrent(file, path)) {
    file.close();
    return { got: false, holder: null };
  }
  return { got: true, file, previous };
}

export async function acquireLock(options: LockOptions = {}): Promise<SystemLock> {
  const path = options.path ?? resolveLockPath();
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
  const deadline = Date.now() + waitMs;
  let got: Extract<Attempt, { got: true }>;
  for (;;) {
    const a = attempt(path, me);
    if (a.got) {
      got = a;
      break;
    }
    if (Date.now() >= deadline) {
      const who = a.holder === null ? 'another process' : describe(a.holder);
      throw Object.assign(
        new Error(
          `rsslab's system lock ${path} is held by ${who}; waited ${waitMs} ms. ` +
            `Wait for that run to finish, or stop it (kill ${a.holder?.pid ?? '<pid>'}) — its knobs are restored when it exits.`,
        ),
        { code: 'ERR_RSSLAB_LOCKED', holder: a.holder },
      );
    }
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }
  held.set(path, { owner: me, file: got.file, count: 1 });

  const notes: string[] = [];
  const staleOwners: LockOwner[] = [];
  const recovered: RestoreReport[] = [];
  const note = (line: string): void => {
    notes.push(line);
    options.log?.(line);
  };
  const dead = got.previous;
  if (dead !== null && dead.pid !== process.pid) {
    staleOwners.push(dead);
    note(`took rsslab's lock ${path} after ${describe(dead)}, which died holding it`);
    if (dead.stateDir !== undefined) {
      const reason = unsafeDirReason(dead.stateDir);
      if (reason !== null) {
        note(`refusing to restore journals from ${dead.stateDir}, named by the lock file: ${reason}`);
      } else {
        const result = restoreJournal({ stateDir: dead.stateDir, ...(options.root !== undefined ? { root: options.root } : {}) });
        for (const report of result.restored) {
          recovered.push(report);
          note(`found a journal left by a run that died: ${describeRestore(report)}`);
        }
        for (const refused of result.refused) note(`refused journal ${refused.journal}: ${refused.reason}`);
      }
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
      // A clean release removes the file (while still holding the flock, and only if the file at the
      // path is still ours), so nothing is left that names a holder. Whoever opened it meanwhile gets
      // the flock on a removed file, sees that (isCurrent) and tries again on the new one. A holder
      // that dies never gets here: its file stays, naming it, for the next taker to restore its
      // journals. Leaving a "released" mark instead would let an rsslab from before flock move the
      // file aside under the next flock holder (it did, in the soak); removing it is what that
      // older lock expects too.
      try {
        if (isCurrent(entry.file, path)) unlinkSync(path);
      } catch {
        // already gone
      }
      entry.file.close();
    },
  };
}

/** True when this process holds the lock at `path` (default: RSSLAB_LOCK_PATH or the machine-wide one). */
export function holdsLock(path: string = resolveLockPath()): boolean {
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
