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
import { planV2, type V2Plan } from './cgroup-v2-plan.js';

/** which hierarchies are mounted: v1 controllers, the unified one, both (systemd's hybrid), none */
export type CgroupLayout = 'v1' | 'v2' | 'hybrid' | 'none';

/**
 * How rsslab gets its memory cgroups: v1's memory hierarchy; v2 where memory is already on for our
 * children (v2-ready); v2 where rsslab first moves itself to a leaf and enables it (v2-delegate).
 */
export type CgroupMode = 'v1' | 'v2-ready' | 'v2-delegate';

export interface CgroupSupport {
  version: 1 | 2 | null;
  canCreate: boolean;
  reason: string;
  /** the directory new cgroups go into: our own memory cgroup (v2: the cgroup rsslab was started in) */
  parent: string | null;
  layout: CgroupLayout;
  /** null when no memory cgroup can be made */
  mode: CgroupMode | null;
  /** for v2-delegate: what rsslab will do (cgroup-delegate.ts) */
  plan?: Extract<V2Plan, { kind: 'delegate' }>;
}

export interface CgroupOptions {
  /** file system root; a fixture tree in tests */
  root?: string;
  /** whose cgroup: our pid by default (a fixture's pid in tests) */
  pid?: number;
  /** effective uid: ours by default (tests pass 1000 to see what a user gets) */
  euid?: number;
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
    return { version: null, canCreate: false, reason: `cannot read /proc/self/cgroup or mountinfo: ${(error as Error).message}`, parent: null, layout: 'none', mode: null };
  }
  const layout: CgroupLayout = mounts.v1Memory !== null || own.v1.size > 0 ? (mounts.v2 !== null ? 'hybrid' : 'v1') : mounts.v2 !== null ? 'v2' : 'none';
  const v1 = (canCreate: boolean, reason: string, parent: string): CgroupSupport => ({ version: 1, canCreate, reason, parent, layout, mode: canCreate ? 'v1' : null });

  const v1Path = own.v1.get('memory');
  if (mounts.v1Memory !== null && v1Path !== undefined) {
    const parent = resolve(join(root, mounts.v1Memory, relativeTo(mounts.v1MemoryRoot, v1Path)));
    if (!existsSync(join(parent, 'memory.limit_in_bytes'))) {
      return v1(false, `our memory cgroup ${parent} is not visible (cgroup namespace?)`, parent);
    }
    if (!writable(parent)) {
      return v1(false, `no write access to ${parent}: creating a memory cgroup needs root`, parent);
    }
    return v1(true, `cgroup v1 memory controller at ${parent}`, parent);
  }

  if (mounts.v2 === null || own.v2 === null) {
    return { version: null, canCreate: false, reason: 'no cgroup v1 memory controller and no cgroup v2 mount', parent: null, layout, mode: null };
  }
  const mount = resolve(join(root, mounts.v2));
  const ownDir = resolve(join(mount, relativeTo(mounts.v2Root, own.v2)));
  const plan = planV2({ mount, own: ownDir, pid: options.pid ?? process.pid, euid: options.euid ?? (typeof process.geteuid === 'function' ? process.geteuid() : -1), root });
  const v2 = { version: 2 as const, parent: plan.home, layout };
  if (plan.kind === 'blocked') return { ...v2, canCreate: false, reason: plan.reason, mode: null };
  if (!writable(plan.home)) {
    return { ...v2, canCreate: false, reason: `no write access to ${plan.home}: creating a memory cgroup needs root or a delegated cgroup`, mode: null };
  }
  if (plan.kind === 'ready') return { ...v2, canCreate: true, reason: `cgroup v2 with the memory controller: ${plan.reason}`, mode: 'v2-ready' };
  return { ...v2, canCreate: true, reason: `cgroup v2: ${plan.reason}`, mode: 'v2-delegate', plan };
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
  /**
   * a v2 home rsslab delegated (session.ts): new cgroups go into `parent`, and processes left in one
   * when it is removed go to `returnTo` (rsslab's leaf: home takes no processes while memory is on there)
   */
  delegated?: { parent: string; returnTo: string };
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
    /** where processes still inside go when it is removed: the parent, or rsslab's leaf beside it (v2 delegated) */
    private readonly returnTo: string = parent,
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
    const result = removeCgroupDir(this.path, this.returnTo);
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
  const support: Pick<CgroupSupport, 'canCreate' | 'parent' | 'version' | 'reason' | 'mode'> =
    options.delegated !== undefined ? { canCreate: true, parent: options.delegated.parent, version: 2, reason: 'delegated', mode: 'v2-ready' } : cgroupSupport(options);
  if (!support.canCreate || support.parent === null || support.version === null) {
    throw new Error(`cannot create a memory cgroup: ${support.reason}`);
  }
  if (support.mode === 'v2-delegate') {
    throw new Error(`cannot create a memory cgroup in ${support.parent} yet: memory is not on for its children; a system session delegates it first (${support.reason})`);
  }
  const parent = support.parent;
  const returnTo = options.delegated?.returnTo ?? parent;
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
      // an OOM kill ends the whole group at once (a real counterpart's helpers too), not one process of it
      writeOptional(path, parent, 'memory.oom.group', '1', notes, plain);
    }
  } catch (error) {
    const removal = removeCgroupDir(path, returnTo);
    if (removal.ok) journal.forgetCgroup(path);
    throw new Error(`cannot create memory cgroup ${path} with limit ${limitBytes} bytes: ${explainWriteError(error)}`, { cause: error });
  }
  return new CgroupSandbox(path, parent, support.version, limitBytes, journal, notes, plain, returnTo);
}
