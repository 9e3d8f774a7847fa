// Removing a memory cgroup rsslab created. Synchronous (it runs from process.on('exit') and from
// `rsslab restore`). rmdir fails with EBUSY while a process — even a dying one, still uncharging its
// pages after an OOM kill — is in the group, so remaining processes are moved back to the parent
// first and rmdir is retried for a while.
import { existsSync, readdirSync, readFileSync, rmdirSync, statfsSync, unlinkSync, lstatSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeControl } from './sysfs.js';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

/** Every cgroup rsslab creates carries this in its name; nothing else is ever removed. */
export const CGROUP_NAME_MARK = 'rsslab';

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function isCgroupFs(path: string): boolean {
  try {
    const type = statfsSync(path).type;
    return type === CGROUP_SUPER_MAGIC || type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

function pidsIn(path: string): number[] {
  try {
    return readFileSync(join(path, 'cgroup.procs'), 'utf8')
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

export interface RemoveResult {
  ok: boolean;
  /** pids moved back to the parent */
  movedPids: number[];
  attempts: number;
  error?: string;
}

export function removeCgroupDir(path: string, parent: string, options: { attempts?: number; delayMs?: number } = {}): RemoveResult {
  const attempts = options.attempts ?? 20;
  const delayMs = options.delayMs ?? 50;
  if (!basename(path).includes(CGROUP_NAME_MARK)) {
    return { ok: false, movedPids: [], attempts: 0, error: `refusing to remove ${path}: not an rsslab cgroup` };
  }
  if (!existsSync(path)) return { ok: true, movedPids: [], attempts: 0 };
  const cgroupFs = isCgroupFs(path);
  const movedPids: number[] = [];
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    for (const pid of pidsIn(path)) {
      try {
        writeControl(join(parent, 'cgroup.procs'), String(pid));
        if (!movedPids.includes(pid)) movedPids.push(pid);
      } catch {
        // exited meanwhile (ESRCH) or a zombie: rmdir's retry covers it
      }
    }
    if (!cgroupFs) clearPlainDir(path);
    try {
      rmdirSync(path);
      return { ok: true, movedPids, attempts: attempt };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { ok: true, movedPids, attempts: attempt };
      lastError = error;
      if (code !== 'EBUSY' && code !== 'ENOTEMPTY') break;
    }
    sleepSync(delayMs * Math.min(attempt, 5));
  }
  return { ok: false, movedPids, attempts, error: (lastError as Error | undefined)?.message ?? 'unknown error' };
}

/**
 * A fixture tree (tests) is a plain directory: the control files we wrote are real files there, where
 * a cgroupfs would make them vanish with the rmdir. Only regular files directly inside are removed.
 */
function clearPlainDir(path: string): void {
  for (const name of readdirSync(path)) {
    const file = join(path, name);
    if (lstatSync(file).isFile()) unlinkSync(file);
  }
}
