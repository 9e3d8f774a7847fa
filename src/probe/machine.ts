// What a Run records about the machine, as far as files can tell: features (madvise advice the
// kernel accepts) and allocators need the addon and the system's libraries, so the caller adds them.
import fs from 'node:fs';
import os from 'node:os';
import type { MachineInfo } from '../run/schema.js';
import { detectCgroupMounts, memoryCgroupOf } from './cgroup.js';
import { readMeminfo } from './meminfo.js';
import { readPageSize } from './pagesize.js';
import { readDistro } from './os-release.js';
import { readHugePageSize, readThpSettings } from './thp.js';

export type MachineFacts = Omit<MachineInfo, 'features' | 'allocators'>;

function isWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `cgroup.memoryControllerPath` is the directory of *our own* memory cgroup (where a child cgroup for
 * pressure experiments would be created), and `writable` says whether we may create one there.
 * `hugePageSize` is THP's PMD size, else meminfo's Hugepagesize, else 0 (unknown).
 */
export function describeMachine(root = '/'): MachineFacts {
  const meminfo = readMeminfo(root);
  const mounts = detectCgroupMounts(root);
  let own: ReturnType<typeof memoryCgroupOf> = null;
  try {
    own = memoryCgroupOf('self', root, mounts);
  } catch {
    own = null; // no /proc/self/cgroup (CONFIG_CGROUPS off): no cgroup to describe
  }
  return {
    hostname: os.hostname(),
    kernel: os.release(),
    distro: readDistro(root),
    arch: os.arch(),
    cpus: os.availableParallelism(),
    memTotalBytes: meminfo.memTotalBytes,
    pageSize: readPageSize(root),
    hugePageSize: readHugePageSize(root) ?? meminfo.hugepagesizeBytes ?? 0,
    root: typeof process.getuid === 'function' && process.getuid() === 0,
    thp: readThpSettings(root),
    cgroup: {
      version: own?.version ?? mounts.memoryVersion,
      memoryControllerPath: own?.dir ?? null,
      writable: own !== null && isWritable(own.dir),
    },
    node: process.version,
  };
}
