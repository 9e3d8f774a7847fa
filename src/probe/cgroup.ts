// Memory cgroups, read-only (creating them is src/system's job). Two worlds: cgroup v1 with a memory
// hierarchy of its own (this project's machine: /sys/fs/cgroup/memory) and cgroup v2's unified tree,
// where memory is one of the controllers listed in cgroup.controllers (most users' machines). The
// cgroup is where seeds 003/004's pressure comes from and where rss_huge grew 10x in seed 004.
// Both are normalised to one shape; anonBytes always includes THP (v1 rss and v2 anon both do).
import fs from 'node:fs';
import path from 'node:path';
import { parseSpaceLines } from './fields.js';
import { ProcFile, readText, readTextIfPresent } from './procfile.js';

export type CgroupVersion = 1 | 2;

export interface CgroupMounts {
  /** where the v1 memory hierarchy is mounted (joined to the root given), or null */
  v1Memory: string | null;
  /** where the v2 unified hierarchy is mounted (joined to the root given), or null */
  v2: string | null;
  /** whether v2's root lists "memory" in cgroup.controllers */
  v2HasMemory: boolean;
  /** which version holds the memory controller: v1 wins, since a controller lives in one hierarchy only */
  memoryVersion: CgroupVersion | null;
}

export interface ProcCgroups {
  /** v1: controller name → path, e.g. "memory" → "/process_api/2c11…"; named hierarchies as "name=systemd" */
  v1: Map<string, string>;
  /** v2: the "0::/path" line's path, or null */
  v2: string | null;
}

export interface CgroupMemory {
  usageBytes: number;
  anonBytes: number | null;
  anonThpBytes: number | null;
  fileBytes: number | null;
  inactiveAnonBytes: number | null;
}

/** A memory cgroup as a directory, with the version its files follow. */
export interface MemoryCgroup {
  version: CgroupVersion;
  /** path inside the hierarchy, e.g. "/process_api/2c11…" */
  path: string;
  /** the directory holding memory.stat, joined to the root given */
  dir: string;
}

/** Mount points in /proc/self/mountinfo escape space, tab, newline and backslash as octal. */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The cgroup mounts of a mountinfo text: mount points as the kernel sees them (not joined to any
 * root), and each mount's root inside its hierarchy ("/" unless a cgroup namespace or bind mount
 * shows only part of it: then /proc/<pid>/cgroup paths are relative to that root).
 */
export function parseCgroupMounts(mountinfo: string): { v1Memory: string | null; v1MemoryRoot: string; v2: string | null; v2Root: string } {
  const out = { v1Memory: null as string | null, v1MemoryRoot: '/', v2: null as string | null, v2Root: '/' };
  for (const line of mountinfo.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator === -1) continue;
    const before = line.slice(0, separator).split(' ');
    const [fsType = '', , superOptions = ''] = line.slice(separator + 3).split(' ');
    const root = before[3];
    const mountPoint = before[4];
    if (mountPoint === undefined || root === undefined) continue;
    if (fsType === 'cgroup2' && out.v2 === null) {
      out.v2 = unescapeMount(mountPoint);
      out.v2Root = unescapeMount(root);
    }
    if (fsType === 'cgroup' && out.v1Memory === null && superOptions.split(',').includes('memory')) {
      out.v1Memory = unescapeMount(mountPoint);
      out.v1MemoryRoot = unescapeMount(root);
    }
  }
  return out;
}

/** /proc/<pid>/cgroup: "N:controllers:/path" lines for v1, "0::/path" for v2. */
export function parseProcCgroup(text: string): ProcCgroups {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first === -1 || second === -1) continue;
    const controllers = line.slice(first + 1, second);
    const cgroupPath = line.slice(second + 1);
    if (controllers === '' && line.slice(0, first) === '0') v2 = cgroupPath;
    else for (const controller of controllers.split(',')) v1.set(controller, cgroupPath);
  }
  return { v1, v2 };
}

export function detectCgroupMounts(root = '/'): CgroupMounts {
  const mountinfo = readTextIfPresent(path.join(root, 'proc', 'self', 'mountinfo'));
  // without mountinfo, fall back to where systemd and docker mount them
  const found = mountinfo === null
    ? {
        v1Memory: fs.existsSync(path.join(root, 'sys/fs/cgroup/memory/memory.stat')) ? '/sys/fs/cgroup/memory' : null,
        v2: fs.existsSync(path.join(root, 'sys/fs/cgroup/cgroup.controllers')) ? '/sys/fs/cgroup' : fs.existsSync(path.join(root, 'sys/fs/cgroup/unified/cgroup.controllers')) ? '/sys/fs/cgroup/unified' : null,
      }
    : parseCgroupMounts(mountinfo);
  const v1Memory = found.v1Memory === null ? null : path.join(root, found.v1Memory);
  const v2 = found.v2 === null ? null : path.join(root, found.v2);
  const controllers = v2 === null ? null : readTextIfPresent(path.join(v2, 'cgroup.controllers'));
  const v2HasMemory = controllers !== null && controllers.trim().split(/\s+/).includes('memory');
  return { v1Memory, v2, v2HasMemory, memoryVersion: v1Memory !== null ? 1 : v2HasMemory ? 2 : null };
}

/** The memory cgroup of a process, or null when no memory controller is mounted. */
export function memoryCgroupOf(pid: number | 'self', root = '/', mounts = detectCgroupMounts(root)): MemoryCgroup | null {
  const cgroups = parseProcCgroup(readText(path.join(root, 'proc', String(pid), 'cgroup')));
  if (mounts.memoryVersion === 1 && mounts.v1Memory !== null) {
    const cgroupPath = cgroups.v1.get('memory');
    if (cgroupPath !== undefined) return { version: 1, path: cgroupPath, dir: path.join(mounts.v1Memory, cgroupPath) };
  }
  if (mounts.memoryVersion === 2 && mounts.v2 !== null && cgroups.v2 !== null) {
    return { version: 2, path: cgroups.v2, dir: path.join(mounts.v2, cgroups.v2) };
  }
  return null;
}

/** A cgroup directory's version, from the files it holds (memory.current is v2's, memory.usage_in_bytes v1's). */
export function cgroupVersionOfDir(dir: string): CgroupVersion {
  if (fs.existsSync(path.join(dir, 'memory.current'))) return 2;
  if (fs.existsSync(path.join(dir, 'memory.usage_in_bytes'))) return 1;
  throw new Error(`${dir} is not a memory cgroup directory: it has neither memory.current (v2) nor memory.usage_in_bytes (v1)`);
}

/**
 * memory.stat normalised. v1 prints the cgroup's own counters and total_* ones that include its
 * descendants; the total_* ones are used, matching memory.usage_in_bytes, which is hierarchical too.
 */
export function parseMemoryStat(text: string, version: CgroupVersion): Omit<CgroupMemory, 'usageBytes'> {
  const f = parseSpaceLines(text);
  if (version === 1) {
    const v1 = (name: string): number | null => f.get(`total_${name}`) ?? f.get(name) ?? null;
    if (v1('rss') === null) throw new Error('v1 memory.stat text has no rss/total_rss line; is it a cgroup v1 memory.stat?');
    return { anonBytes: v1('rss'), anonThpBytes: v1('rss_huge'), fileBytes: v1('cache'), inactiveAnonBytes: v1('inactive_anon') };
  }
  if (!f.has('anon')) throw new Error('v2 memory.stat text has no anon line; is it a cgroup v2 memory.stat?');
  return { anonBytes: f.get('anon') ?? null, anonThpBytes: f.get('anon_thp') ?? null, fileBytes: f.get('file') ?? null, inactiveAnonBytes: f.get('inactive_anon') ?? null };
}

/** memory.max / memory.limit_in_bytes: null when unlimited ("max" in v2, a near-2^63 number in v1). */
export function parseMemoryLimit(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === 'max') return null;
  const value = Number(trimmed);
  if (!Number.isFinite(value) || trimmed === '') throw new Error(`memory limit "${trimmed}" is neither a number nor "max"`);
  return value >= 2 ** 62 ? null : value;
}

function usageFile(dir: string, version: CgroupVersion): string {
  return path.join(dir, version === 2 ? 'memory.current' : 'memory.usage_in_bytes');
}

function parseUsage(text: string, file: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`${file}: "${text.trim()}" is not a byte count`);
  return value;
}

export function readCgroupMemory(dir: string, version: CgroupVersion = cgroupVersionOfDir(dir)): CgroupMemory {
  const file = usageFile(dir, version);
  return { usageBytes: parseUsage(readText(file), file), ...parseMemoryStat(readText(path.join(dir, 'memory.stat')), version) };
}

/** Bytes charged to the cgroup now (memory.current / memory.usage_in_bytes). */
export function readCgroupUsage(dir: string, version: CgroupVersion = cgroupVersionOfDir(dir)): number {
  const file = usageFile(dir, version);
  return parseUsage(readText(file), file);
}

/** v1's memory.stat hierarchical_memory_limit: the tightest limit of the cgroup and its ancestors, or null. */
export function parseHierarchicalLimit(memoryStat: string): number | null {
  const h = parseSpaceLines(memoryStat).get('hierarchical_memory_limit');
  return h === undefined ? null : parseMemoryLimit(String(h));
}

export function readCgroupLimit(dir: string, version: CgroupVersion = cgroupVersionOfDir(dir)): number | null {
  return parseMemoryLimit(readText(path.join(dir, version === 2 ? 'memory.max' : 'memory.limit_in_bytes')));
}

/** A memory cgroup's files kept open, for a sampler. */
export class CgroupMemoryReader {
  readonly dir: string;
  readonly version: CgroupVersion;
  private readonly usage: ProcFile;
  private readonly stat: ProcFile;

  constructor(dir: string, version: CgroupVersion = cgroupVersionOfDir(dir)) {
    this.dir = dir;
    this.version = version;
    this.usage = new ProcFile(usageFile(dir, version), 64);
    this.stat = new ProcFile(path.join(dir, 'memory.stat'), 4096);
  }

  read(): CgroupMemory {
    return { usageBytes: parseUsage(this.usage.read(), this.usage.path), ...parseMemoryStat(this.stat.read(), this.version) };
  }

  close(): void {
    this.usage.close();
    this.stat.close();
  }
}
