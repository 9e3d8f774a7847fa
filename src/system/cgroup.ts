// A memory cgroup sandbox for pressure experiments (seed 003: MADV_FREE pages are only reclaimed
// under pressure; seed 004: deferred THP splits happen under pressure). It is created *below the
// current process's own memory cgroup*, so it never escapes limits someone else set on us, and its
// path is journaled before mkdir, so `rsslab restore` removes it even after a SIGKILL.
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CGROUP_NAME_MARK, isCgroupFs, removeCgroupDir, type RemoveResult } from './cgroup-remove.js';
import { parseCgroupMounts, parseProcCgroup, readCgroupMemory, type CgroupMemory, type ProcCgroups } from '../probe/cgroup.js';
import type { Journal } from './journal.js';
import { explainWriteError, readControl, writeControl } from './sysfs.js';

export interface CgroupSupport {
  version: 1 | 2 | null;
  canCreate: boolean;
  reason: string;
  /** the directory new cgroups go into: our own memory cgroup */
  parent: string | null;
}

export interface CgroupOptions {
  /** file system root; a fixture tree in tests */
  root?: string;
}

function relativeTo(mountRoot: string, own: string): string {
  if (mountRoot === '/' || mountRoot === '') return own;
  if (own === mountRoot || own.startsWith(mountRoot + '/')) return own.slice(mountRoot.length) || '/';
  return own;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function words(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

/**
 * Which memory cgroup version we can use, and whether we may create a child there. v1 wins when its
 * memory controller is mounted (this project's machine: v1 memory, v2 without memory); users' machines
 * are often v2 only.
 */
export function cgroupSupport(options: CgroupOptions = {}): CgroupSupport {
  const root = options.root ?? '/';
  let own: ProcCgroups;
  let mounts: ReturnType<typeof parseCgroupMounts>;
  try {
    own = parseProcCgroup(readFileSync(join(root, 'proc/self/cgroup'), 'utf8'));
    mounts = parseCgroupMounts(readFileSync(join(root, 'proc/self/mountinfo'), 'utf8'));
  } catch (error) {
    return { version: null, canCreate: false, reason: `cannot read /proc/self/cgroup or mountinfo: ${(error as Error).message}`, parent: null };
  }

  const v1Path = own.v1.get('memory');
  if (mounts.v1Memory !== null && v1Path !== undefined) {
    const parent = resolve(join(root, mounts.v1Memory, relativeTo(mounts.v1MemoryRoot, v1Path)));
    if (!existsSync(join(parent, 'memory.limit_in_bytes'))) {
      return { version: 1, canCreate: false, reason: `our memory cgroup ${parent} is not visible (cgroup namespace?)`, parent };
    }
    if (!writable(parent)) {
      return { version: 1, canCreate: false, reason: `no write access to ${parent}: creating a memory cgroup needs root`, parent };
    }
    return { version: 1, canCreate: true, reason: `cgroup v1 memory controller at ${parent}`, parent };
  }

  if (mounts.v2 === null || own.v2 === null) {
    return { version: null, canCreate: false, reason: 'no cgroup v1 memory controller and no cgroup v2 mount', parent: null };
  }
  const parent = resolve(join(root, mounts.v2, relativeTo(mounts.v2Root, own.v2)));
  if (!words(join(parent, 'cgroup.controllers')).includes('memory')) {
    return { version: 2, canCreate: false, reason: `the cgroup v2 memory controller is not available in ${parent} (cgroup.controllers)`, parent };
  }
  if (!words(join(parent, 'cgroup.subtree_control')).includes('memory')) {
    // enabling it ourselves is impossible while we are a member ("no internal processes" rule)
    return {
      version: 2,
      canCreate: false,
      reason:
        `the memory controller is not enabled for children of ${parent} (cgroup.subtree_control); ` +
        'run rsslab in a delegated cgroup, e.g. systemd-run --scope -p Delegate=yes',
      parent,
    };
  }
  if (!writable(parent)) {
    return { version: 2, canCreate: false, reason: `no write access to ${parent}: creating a memory cgroup needs root or a delegated cgroup`, parent };
  }
  return { version: 2, canCreate: true, reason: `cgroup v2 with the memory controller at ${parent}`, parent };
}

export interface CgroupUsage {
  usageBytes: number;
  /** high-water mark (v1 max_usage_in_bytes, v2 memory.peak), null where the kernel has none */
  peakBytes: number | null;
  /** processes the kernel's OOM killer killed in this cgroup */
  oomKills: number | null;
}

let cgroupCounter = 0;

export interface CreateCgroupOptions extends CgroupOptions {
  limitBytes: number;
  journal: Journal;
}

export class CgroupSandbox {
  private removed = false;

  constructor(
    readonly path: string,
    readonly parent: string,
    readonly version: 1 | 2,
    readonly limitBytes: number,
    private readonly journal: Journal,
    /** what was set besides the limit (memsw, swap.max, swappiness) */
    readonly notes: string[],
    /** a fixture tree: a plain directory where no kernel creates the control files */
    private readonly plain: boolean,
  ) {}

  /** Moves `pid` (its whole thread group) into the cgroup; its later allocations are charged here. */
  addProcess(pid: number): void {
    if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`pid must be a positive integer, got ${pid}`);
    if (this.removed) throw new Error(`cgroup ${this.path} was removed`);
    try {
      writeControl(join(this.path, 'cgroup.procs'), String(pid), { create: this.plain });
    } catch (error) {
      throw new Error(`cannot move pid ${pid} into ${this.path}: ${explainWriteError(error)}`, { cause: error });
    }
  }

  pids(): number[] {
    return words(join(this.path, 'cgroup.procs')).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  }

  usage(): CgroupUsage {
    const num = (name: string): number | null => {
      try {
        const value = Number(readControl(join(this.path, name)));
        return Number.isFinite(value) ? value : null;
      } catch {
        return null;
      }
    };
    const counter = (file: string, key: string): number | null => {
      try {
        const line = readFileSync(join(this.path, file), 'utf8').split('\n').find((l) => l.startsWith(key + ' '));
        return line === undefined ? null : Number(line.slice(key.length + 1));
      } catch {
        return null;
      }
    };
    if (this.version === 1) {
      return { usageBytes: num('memory.usage_in_bytes') ?? 0, peakBytes: num('memory.max_usage_in_bytes'), oomKills: counter('memory.oom_control', 'oom_kill') };
    }
    return { usageBytes: num('memory.current') ?? 0, peakBytes: num('memory.peak'), oomKills: counter('memory.events', 'oom_kill') };
  }

  /** usage and memory.stat (anon, THP, file...) through the probe's reader, as the sampler sees them */
  memory(): CgroupMemory {
    return readCgroupMemory(this.path, this.version);
  }

  /** Moves remaining processes to the parent, rmdirs (with retries), forgets the journal entry. Idempotent. */
  remove(): RemoveResult {
    if (this.removed) return { ok: true, movedPids: [], attempts: 0 };
    const result = removeCgroupDir(this.path, this.parent);
    if (result.ok) {
      this.removed = true;
      this.journal.forgetCgroup(this.path);
    }
    return result;
  }
}

function writeOptional(dir: string, parent: string, name: string, value: string, notes: string[], plain: boolean): void {
  // on a real cgroupfs the new directory already holds every control file; a fixture tree only has
  // them in the parent, so either place tells us whether this kernel has the file
  if (!existsSync(join(dir, name)) && !existsSync(join(parent, name))) return;
  try {
    writeControl(join(dir, name), value, { create: plain });
    notes.push(`${name}=${value}`);
  } catch (error) {
    notes.push(`${name} not set: ${explainWriteError(error)}`);
  }
}

/**
 * Creates rsslab-<pid>-<n> under our own memory cgroup with a hard limit. Without swap (this machine
 * has none) the limit is a limit on resident memory; where swap exists it is switched off for the
 * group so pressure means reclaim or OOM, not swapping.
 */
export function createCgroup(options: CreateCgroupOptions): CgroupSandbox {
  const { limitBytes, journal } = options;
  if (!Number.isSafeInteger(limitBytes) || limitBytes < 1024 * 1024) {
    throw new RangeError(`cgroup limitBytes must be an integer of at least 1 MiB, got ${limitBytes}`);
  }
  const support = cgroupSupport(options);
  if (!support.canCreate || support.parent === null || support.version === null) {
    throw new Error(`cannot create a memory cgroup: ${support.reason}`);
  }
  const parent = support.parent;
  let path: string;
  for (;;) {
    cgroupCounter += 1;
    path = join(parent, `${CGROUP_NAME_MARK}-${process.pid}-${cgroupCounter}`);
    if (!existsSync(path)) break;
  }
  journal.recordCgroup({ path, version: support.version, parent });
  const notes: string[] = [];
  let plain = false;
  try {
    mkdirSync(path);
    // on cgroupfs mkdir brings every control file; in a fixture tree (tests) we create what we write
    plain = !isCgroupFs(path);
    const create = { create: plain };
    if (support.version === 1) {
      writeControl(join(path, 'memory.limit_in_bytes'), String(limitBytes), create);
      writeOptional(path, parent, 'memory.memsw.limit_in_bytes', String(limitBytes), notes, plain);
      writeOptional(path, parent, 'memory.swappiness', '0', notes, plain);
    } else {
      writeControl(join(path, 'memory.max'), String(limitBytes), create);
      writeOptional(path, parent, 'memory.swap.max', '0', notes, plain);
    }
  } catch (error) {
    const removal = removeCgroupDir(path, parent);
    if (removal.ok) journal.forgetCgroup(path);
    throw new Error(`cannot create memory cgroup ${path} with limit ${limitBytes} bytes: ${explainWriteError(error)}`, { cause: error });
  }
  return new CgroupSandbox(path, parent, support.version, limitBytes, journal, notes, plain);
}
