// Limits that protect the host. rsslab runs as root on people's machines and its experiments
// allocate hundreds of MiB on purpose; a --param typo (regionBytes=40GiB) must not push the machine
// into its OOM killer, and memory pressure must only ever be applied inside a memory cgroup whose
// limit the kernel enforces — never to the whole host.
import { dirname, join } from 'node:path';
import { readMeminfo } from '../probe/meminfo.js';
import { parseHierarchicalLimit, readCgroupLimit, readCgroupUsage } from '../probe/cgroup.js';
import { readText } from '../probe/procfile.js';
import { formatBytes as mib } from '../quantities.js';
import { cgroupSupport } from '../system/cgroup.js';
import type { ExperimentDefinition, Params } from './experiment.js';

const MiB = 1024 * 1024;

/** What a Node child costs before the experiment allocates anything (V8 heap, code, the addon). */
export const CHILD_BASE_BYTES = 64 * MiB;
/** Never plan to use the last of the machine's memory: page cache, other processes, our own parent. */
export const MIN_MARGIN_BYTES = 256 * MiB;
export const MARGIN_FRACTION = 0.05;

export interface MemoryBudget {
  /** what one child may use: MemAvailable, or the room left in our own memory cgroup if smaller, minus the margin */
  usableBytes: number;
  memAvailableBytes: number;
  /** room left under our own memory cgroup's limit (containers see the host's MemAvailable), or null without a limit */
  cgroupRoomBytes: number | null;
  marginBytes: number;
}

export interface VariantEstimate {
  variant: string;
  bytes: number;
  /** how the estimate was made, for the message */
  basis: string;
}

/** undefined when the file cannot be read (not a cgroup directory, the root cgroup) */
function tryRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * Room left under our own memory cgroup's limit, walking up v2 ancestors (any of them may hold the
 * binding limit); v1's memory.stat already gives the hierarchical limit.
 */
export function cgroupRoomBytes(root = '/'): number | null {
  const support = cgroupSupport({ root });
  const dir = support.parent;
  if (dir === null || support.version === null) return null;
  if (support.version === 1) {
    const own = tryRead(() => readCgroupLimit(dir, 1)) ?? null;
    const hierarchical = tryRead(() => parseHierarchicalLimit(readText(join(dir, 'memory.stat')))) ?? null;
    const limits = [own, hierarchical].filter((x): x is number => x !== null);
    const usage = tryRead(() => readCgroupUsage(dir, 1));
    if (limits.length === 0 || usage === undefined) return null;
    return Math.max(0, Math.min(...limits) - usage);
  }
  let room: number | null = null;
  for (let d = dir; d.length > 1; d = dirname(d)) {
    const current = tryRead(() => readCgroupUsage(d, 2));
    if (current === undefined) break; // the root cgroup, or out of the cgroup file system
    const max = tryRead(() => readCgroupLimit(d, 2)) ?? null; // "max": no limit at this level
    if (max !== null) room = Math.min(room ?? Infinity, Math.max(0, max - current));
  }
  return room;
}

export function memoryBudget(root = '/'): MemoryBudget {
  const info = readMeminfo(root);
  // MemAvailable (Linux 3.14+) counts reclaimable cache; MemFree is the pessimistic fallback.
  const memAvailableBytes = info.memAvailableBytes ?? info.memFreeBytes;
  const room = cgroupRoomBytes(root);
  const marginBytes = Math.max(MIN_MARGIN_BYTES, Math.round(info.memTotalBytes * MARGIN_FRACTION));
  const usableBytes = Math.max(0, Math.min(memAvailableBytes, room ?? Infinity) - marginBytes);
  return { usableBytes, memAvailableBytes, cgroupRoomBytes: room, marginBytes };
}

/**
 * What one variant's child may take: every parameter of type 'bytes' summed (regions, heaps,
 * headrooms — an over-estimate on purpose), plus the Node child itself. Inside a memory cgroup the
 * kernel caps it at the limit, so the limit is the estimate there.
 */
export function estimateVariantBytes(def: ExperimentDefinition<Params>, variantId: string, params: Params, cgroupLimitBytes: number | null): VariantEstimate {
  let sum = 0;
  const parts: string[] = [];
  for (const [name, spec] of Object.entries(def.params)) {
    const v = params[name];
    if (spec.type !== 'bytes' || typeof v !== 'number' || !(v > 0)) continue;
    sum += v;
    if (v >= MiB) parts.push(`${name}=${mib(v)}`);
  }
  if (cgroupLimitBytes !== null && cgroupLimitBytes < sum) {
    return { variant: variantId, bytes: cgroupLimitBytes + CHILD_BASE_BYTES, basis: `its memory cgroup limit ${mib(cgroupLimitBytes)} + ${mib(CHILD_BASE_BYTES)} for Node` };
  }
  return { variant: variantId, bytes: sum + CHILD_BASE_BYTES, basis: `${parts.join(' + ') || 'no size parameters'} + ${mib(CHILD_BASE_BYTES)} for Node` };
}

/** null when every estimate fits, else the message naming the variant, the numbers and the fix. */
export function checkMemoryFits(estimates: VariantEstimate[], budget: MemoryBudget): string | null {
  const over = estimates.filter((e) => e.bytes > budget.usableBytes);
  if (over.length === 0) return null;
  const where =
    budget.cgroupRoomBytes !== null && budget.cgroupRoomBytes < budget.memAvailableBytes
      ? `${mib(budget.cgroupRoomBytes)} left under this process's memory cgroup limit`
      : `MemAvailable ${mib(budget.memAvailableBytes)}`;
  const list = over.map((e) => `variant ${e.variant} needs about ${mib(e.bytes)} (${e.basis})`).join('; ');
  return (
    `refusing to run: ${list}, but only ${mib(budget.usableBytes)} can be used safely (${where}, minus a margin of ${mib(budget.marginBytes)}). ` +
    'Choose smaller sizes with --param (or --quick), or pass --force to run anyway.'
  );
}

/**
 * Memory pressure is applied only inside a memory cgroup: a variant asking for it (a parameter the
 * definition marks `pressure: true` set to true, or the 'cgroup' requirement) without a cgroup
 * limit would squeeze the whole host. Returns the reason to skip it, or null.
 */
export function pressureOutsideCgroup(def: Pick<ExperimentDefinition<Params>, 'params'>, params: Params, requiresCgroup: boolean, cgroupLimitBytes: number | null): string | null {
  if (cgroupLimitBytes !== null) return null;
  const asking = Object.entries(def.params).filter(([name, spec]) => spec.pressure === true && params[name] === true).map(([name]) => name);
  if (asking.length > 0 || requiresCgroup) {
    const what = asking.length ? `${asking.map((n) => `${n}=true`).join(', ')} on a variant without a cgroup` : 'it without a cgroup';
    return `memory pressure runs only inside a memory cgroup with a limit, and this variant has none (${what} would squeeze the whole machine); use the experiment's pressure variant`;
  }
  return null;
}
