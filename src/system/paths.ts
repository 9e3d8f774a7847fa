// Where rsslab keeps its state (the knob journal and the lock). As root: /run/rsslab — /run is a
// tmpfs, and after a reboot the kernel knobs are back at their defaults, so a journal that does not
// survive one is exactly right. Otherwise the user's runtime dir. The directory must be ours and
// not writable by anyone else: rsslab runs as root, and a journal or lock planted (or symlinked) by
// another user would make root write attacker-chosen values or follow a link.
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const STATE_DIR_ENV = 'RSSLAB_STATE_DIR';
export const CACHE_DIR_ENV = 'RSSLAB_CACHE_DIR';

export interface StateDirOptions {
  env?: NodeJS.ProcessEnv;
  uid?: number;
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1;
}

/** The machine-wide (per-user) default, ignoring RSSLAB_STATE_DIR. */
export function defaultStateDir(options: StateDirOptions = {}): string {
  const env = options.env ?? process.env;
  const uid = options.uid ?? currentUid();
  if (uid === 0) return '/run/rsslab';
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && runtime.startsWith('/')) return join(runtime, 'rsslab');
  return join(tmpdir(), `rsslab-${uid}`);
}

/** Where state goes: RSSLAB_STATE_DIR when set (tests), else the default. Not created. */
export function resolveStateDir(options: StateDirOptions = {}): string {
  const env = options.env ?? process.env;
  const override = env[STATE_DIR_ENV];
  if (override !== undefined && override !== '') {
    if (!override.startsWith('/')) {
      throw new TypeError(`${STATE_DIR_ENV} must be an absolute path, got "${override}"`);
    }
    return override;
  }
  return defaultStateDir(options);
}

/** How a directory is named in refusals, and the env variable that moves it elsewhere. */
export interface SafeDirLabel {
  noun: string;
  env: string;
}
const STATE_LABEL: SafeDirLabel = { noun: 'rsslab state directory', env: STATE_DIR_ENV };
export const CACHE_LABEL: SafeDirLabel = { noun: 'rsslab cache directory', env: CACHE_DIR_ENV };

/**
 * Where built counterparts are cached: RSSLAB_CACHE_DIR when set (tests), /var/cache/rsslab as root,
 * else $XDG_CACHE_HOME/rsslab or ~/.cache/rsslab. Not created. rsslab executes what it finds there,
 * so callers pass every level through ensureSafeDir(…, CACHE_LABEL).
 */
export function resolveCacheDir(options: StateDirOptions = {}): string {
  const env = options.env ?? process.env;
  const override = env[CACHE_DIR_ENV];
  if (override !== undefined && override !== '') {
    if (!override.startsWith('/')) throw new TypeError(`${CACHE_DIR_ENV} must be an absolute path, got "${override}"`);
    return override;
  }
  const uid = options.uid ?? currentUid();
  if (uid === 0) return '/var/cache/rsslab';
  if (env.XDG_CACHE_HOME?.startsWith('/')) return join(env.XDG_CACHE_HOME, 'rsslab');
  if (env.HOME?.startsWith('/')) return join(env.HOME, '.cache', 'rsslab');
  return join(tmpdir(), `rsslab-cache-${uid}`);
}

/**
 * Checks that an existing `dir` is a real directory (not a symlink), owned by us, and not group- or
 * world-writable; returns the reason when it is not, null when it passes. Every directory rsslab
 * reads state from goes through this: RSSLAB_STATE_DIR, the default, and the stateDir a lock file
 * names (that file may have been written by a process that no longer exists, or by someone else).
 */
export function unsafeDirReason(dir: string, uid: number = currentUid(), envName: string = STATE_DIR_ENV): string | null {
  if (!dir.startsWith('/')) return `${dir} is not an absolute path`;
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    return `cannot stat ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    return `${dir} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; remove it (or set ${envName} to a directory you own)`;
  }
  if (uid >= 0 && stat.uid !== uid) {
    return `${dir}: owned by uid ${stat.uid}, not by us (uid ${uid}); someone else may have planted it — remove it or set ${envName}`;
  }
  if ((stat.mode & 0o022) !== 0) {
    return `${dir}: mode ${(stat.mode & 0o777).toString(8)} lets others write into it; run chmod 700 ${dir} (or set ${envName})`;
  }
  return null;
}

/**
 * Creates `dir` (mode 0700) if missing and checks it (unsafeDirReason). Returns the directory.
 * Throws with what to do otherwise.
 */
export function ensureSafeDir(dir: string, uid: number = currentUid(), what: SafeDirLabel = STATE_LABEL): string {
  const { noun, env: envName } = what;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new Error(`cannot create ${noun} ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const reason = unsafeDirReason(dir, uid, envName);
  if (reason !== null) throw new Error(`refusing ${noun} ${reason}`);
  return dir;
}

/** The state directory, created and checked. */
export function stateDir(options: StateDirOptions = {}): string {
  return ensureSafeDir(resolveStateDir(options), options.uid ?? currentUid());
}

/**
 * The lock that serialises machine-wide knob changes. It deliberately ignores RSSLAB_STATE_DIR:
 * the knobs are machine-wide, so two test workers with different state dirs must still meet at
 * the same lock.
 */
export function defaultLockPath(options: StateDirOptions = {}): string {
  return join(ensureSafeDir(defaultStateDir(options), options.uid ?? currentUid()), 'knobs.lock');
}

/**
 * A private lock, for tests that already hold the machine-wide lock themselves and run rsslab
 * commands under it (so no other process can take the lock between a kill and the next command).
 * Its directory passes the same checks as a state directory.
 */
export const LOCK_PATH_ENV = 'RSSLAB_LOCK_PATH';

/** RSSLAB_LOCK_PATH when set, else the machine-wide lock. */
export function resolveLockPath(options: StateDirOptions = {}): string {
  const env = options.env ?? process.env;
  const override = env[LOCK_PATH_ENV];
  if (override !== undefined && override !== '') {
    if (!override.startsWith('/') || override.endsWith('/')) {
      throw new TypeError(`${LOCK_PATH_ENV} must be an absolute file path, got "${override}"`);
    }
    ensureSafeDir(dirname(override), options.uid ?? currentUid());
    return override;
  }
  return defaultLockPath(options);
}
