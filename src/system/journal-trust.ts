// What a journal read back from disk may ask for. rsslab runs as root and a journal on disk may have
// been written by someone else (a planted file, a state dir named by a lock file, RSSLAB_STATE_DIR
// pointing somewhere odd), so restore writes only what rsslab itself could have written: one of the
// allow-listed THP/khugepaged knob files, with a value in the exact form the kernel shows for it,
// and removes only directories named like rsslab's own cgroups directly under a memory cgroup that
// lies inside the memory controller's mount, and undoes a cgroup v2 delegation only along the chain
// from its own leaf up. One refused entry refuses the whole journal: a file
// that holds one entry rsslab never writes was not written by rsslab.
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseCgroupMounts } from '../probe/cgroup.js';
import { isCgroupFs } from './cgroup-remove.js';
import { SELF_LEAF_NAME, SELF_LEAF_PREFIX } from './cgroup-v2-plan.js';
import { KNOB_NAMES, knobPath, validateKnob } from './knobs.js';

/** rsslab-<pid>-<n>, as createCgroup names them */
export const OWN_CGROUP_NAME = /^rsslab-[1-9]\d{0,9}-[1-9]\d{0,9}$/;

export interface TrustOptions {
  /** file system root; a fixture tree in tests (there cgroups are plain directories) */
  root?: string;
}

/** Null when a knob entry is one rsslab may write back; else why not. */
export function knobEntryProblem(entry: { path: string; original: string }, options: TrustOptions = {}): string | null {
  const root = options.root ?? '/';
  const name = KNOB_NAMES.find((n) => knobPath(n, root) === entry.path);
  if (name === undefined) return `${JSON.stringify(entry.path)} is not one of the THP/khugepaged knobs rsslab changes`;
  let text: string;
  try {
    text = validateKnob(name, entry.original, { root });
  } catch (error) {
    return `the value ${JSON.stringify(entry.original)} for ${name} is not one rsslab could have read: ${(error as Error).message}`;
  }
  // validateKnob trims; what rsslab journals is the kernel's own form, so anything else (a newline,
  // leading zeros, padding) was written by someone else
  if (text !== entry.original) return `the value ${JSON.stringify(entry.original)} for ${name} is not in the form the kernel shows`;
  return null;
}

function memoryMount(version: 1 | 2, root: string): string | null {
  try {
    const mounts = parseCgroupMounts(readFileSync(join(root, 'proc/self/mountinfo'), 'utf8'));
    const mount = version === 1 ? mounts.v1Memory : mounts.v2;
    return mount === null ? null : resolve(join(root, mount));
  } catch {
    return null;
  }
}

function isRealDir(path: string): boolean {
  try {
    const stat = lstatSync(path);
    return stat.isDirectory() && !stat.isSymbolicLink();
  } catch {
    return false;
  }
}

/** Null when a cgroup entry names a cgroup rsslab may remove; else why not. */
export function cgroupEntryProblem(entry: { path: string; parent: string; version: number }, options: TrustOptions = {}): string | null {
  const root = options.root ?? '/';
  const real = root === '/';
  const { path, parent } = entry;
  if (entry.version !== 1 && entry.version !== 2) return `cgroup version ${JSON.stringify(entry.version)} is neither 1 nor 2`;
  if (!path.startsWith('/') || !parent.startsWith('/') || resolve(path) !== path || resolve(parent) !== parent || path.split('/').includes('..')) {
    return `${JSON.stringify(path)} (parent ${JSON.stringify(parent)}) is not a plain absolute path`;
  }
  if (!OWN_CGROUP_NAME.test(basename(path))) return `${path} is not named like an rsslab cgroup (rsslab-<pid>-<n>)`;
  if (dirname(path) !== parent) return `${path} is not directly under the parent ${parent} the journal names`;
  const mount = memoryMount(entry.version, root);
  if (mount === null) return `no cgroup v${entry.version} memory controller is mounted here`;
  if (parent !== mount && !parent.startsWith(mount + '/')) return `${parent} is not inside the memory controller's mount ${mount}`;
  if (!isRealDir(parent)) return `${parent} is not a directory (or is a symbolic link)`;
  try {
    if (realpathSync(parent) !== parent) return `${parent} goes through a symbolic link`;
  } catch (error) {
    return `cannot resolve ${parent}: ${(error as Error).message}`;
  }
  if (real && !isCgroupFs(parent)) return `${parent} is not on a cgroup file system`;
  try {
    lstatSync(path);
  } catch {
    return null; // already gone: nothing to remove
  }
  if (!isRealDir(path)) return `${path} is not a directory (or is a symbolic link)`;
  if (real && !isCgroupFs(path)) return `${path} is not on a cgroup file system`;
  return null;
}

function plainAbsolute(path: string): boolean {
  return path.startsWith('/') && resolve(path) === path && !path.split('/').includes('..');
}

/** A real (not symlinked) directory inside `mount`; on a live system also on a cgroup file system. */
function cgroupDirProblem(dir: string, mount: string, real: boolean): string | null {
  if (dir !== mount && !dir.startsWith(mount + '/')) return `${dir} is not inside the cgroup v2 mount ${mount}`;
  if (!isRealDir(dir)) return `${dir} is not a directory (or is a symbolic link)`;
  try {
    if (realpathSync(dir) !== dir) return `${dir} goes through a symbolic link`;
  } catch (error) {
    return `cannot resolve ${dir}: ${(error as Error).message}`;
  }
  if (real && !isCgroupFs(dir)) return `${dir} is not on a cgroup file system`;
  return null;
}

/**
 * Null when a cgroup v2 delegation entry is one rsslab (the journal's owner, `ownerPid`) could have
 * written; else why not. What undoing it may do is narrow — write "-memory" to the subtree_control of
 * the home cgroup and of a contiguous run of its ancestors, move what is in the leaf back to home,
 * rmdir the leaf — and it does it only while the leaf, rsslab-self-<owner pid> directly under home,
 * exists: the leaf is made before anything is enabled and removed after everything is disabled.
 */
export function delegationEntryProblem(entry: { home: string; leaf: string; enabled: string[] }, ownerPid: number, options: TrustOptions = {}): string | null {
  const root = options.root ?? '/';
  const real = root === '/';
  const { home, leaf, enabled } = entry;
  for (const p of [home, leaf, ...enabled]) {
    if (!plainAbsolute(p)) return `${JSON.stringify(p)} in a cgroup v2 delegation is not a plain absolute path`;
  }
  if (basename(leaf) !== `${SELF_LEAF_PREFIX}${ownerPid}` || !SELF_LEAF_NAME.test(basename(leaf))) {
    return `${leaf} is not named like the leaf rsslab pid ${ownerPid} makes (${SELF_LEAF_PREFIX}${ownerPid})`;
  }
  if (dirname(leaf) !== home) return `${leaf} is not directly under the home cgroup ${home} the journal names`;
  // home last, each one the parent of the next: the chain rsslab enables top-down
  for (let i = 0; i < enabled.length; i += 1) {
    const dir = enabled[i] as string;
    const next = i + 1 < enabled.length ? (enabled[i + 1] as string) : null;
    if (next !== null && dirname(next) !== dir) return `the cgroups ${dir} and ${next} are not parent and child: rsslab enables memory along one chain`;
    if (home !== dir && !home.startsWith(dir + '/')) return `${dir} is neither ${home} nor one of its ancestors`;
  }
  const mount = memoryMount(2, root);
  if (mount === null) return 'no cgroup v2 hierarchy is mounted here';
  for (const dir of [home, ...enabled]) {
    if (dir !== mount && !dir.startsWith(mount + '/')) return `${dir} is not inside the cgroup v2 mount ${mount}`;
  }
  try {
    lstatSync(leaf);
  } catch {
    return null; // the leaf is gone: nothing of it is left to undo, and nothing will be written
  }
  return cgroupDirProblem(home, mount, real) ?? cgroupDirProblem(leaf, mount, real);
}
