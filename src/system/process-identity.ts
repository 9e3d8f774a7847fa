// Who owns a lock or a journal, in a way that survives pid reuse: a pid alone can be handed to an
// unrelated process after the owner dies, so we also keep the owner's start time (field 22 of
// /proc/<pid>/stat, clock ticks since boot), which a reused pid cannot share.
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** /proc/<pid>/stat starttime, or null where /proc is not readable */
  procStartTime: number | null;
}

interface ProcStat {
  state: string;
  startTime: number;
}

/** Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses, so fields are counted after the last ')'. */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); starttime is field 22
  const state = fields[0];
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isFinite(startTime)) return null;
  return { state, startTime };
}

function readStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

export function currentIdentity(): ProcessIdentity {
  return { pid: process.pid, procStartTime: readStat(process.pid)?.startTime ?? null };
}

/**
 * True when the process that wrote `owner` still runs. A zombie counts as dead (it holds nothing
 * and will never restore anything); so does a live pid whose start time differs (pid reuse).
 */
export function isAlive(owner: ProcessIdentity): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readStat(owner.pid);
  if (stat === null) return true; // no /proc: trust kill(0)
  if (stat.state === 'Z' || stat.state === 'X') return false;
  if (owner.procStartTime !== null && stat.startTime !== owner.procStartTime) return false;
  return true;
}

/** The command line of a pid, for messages ("held by pid 123: node dist/src/cli.js run"). */
export function commandOf(pid: number): string | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const text = raw.split('\0').filter((part) => part.length > 0).join(' ');
    return text.length > 0 ? text : null;
  } catch {
    return null;
  }
}
