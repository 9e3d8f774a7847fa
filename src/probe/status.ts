// /proc/<pid>/status: the fallback for RSS when smaps_rollup is missing (before Linux 4.14), and the
// RssAnon/RssFile split and the high-water mark (VmHWM). THP_enabled (Linux 5.0+) reads 0 after
// prctl(PR_SET_THP_DISABLE), one of the fixes of seed 004, and it is inherited across fork and exec.
import path from 'node:path';
import { optional, parseColonLines, required } from './fields.js';
import { readText } from './procfile.js';

export interface ProcStatus {
  vmRssBytes: number;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  vmHwmBytes: number | null;
  vmSizeBytes: number | null;
  vmSwapBytes: number | null;
  threads: number | null;
  /** 1 unless the process (or an ancestor before exec) called prctl(PR_SET_THP_DISABLE); null on kernels without the line */
  thpEnabled: 0 | 1 | null;
}

export function parseStatus(text: string): ProcStatus {
  const f = parseColonLines(text);
  const thp = f.get('THP_enabled');
  return {
    vmRssBytes: required(f, 'VmRSS', '/proc/<pid>/status (a kernel thread or an exited process has no VmRSS)'),
    rssAnonBytes: optional(f, 'RssAnon'),
    rssFileBytes: optional(f, 'RssFile'),
    rssShmemBytes: optional(f, 'RssShmem'),
    vmHwmBytes: optional(f, 'VmHWM'),
    vmSizeBytes: optional(f, 'VmSize'),
    vmSwapBytes: optional(f, 'VmSwap'),
    threads: optional(f, 'Threads'),
    thpEnabled: thp === undefined ? null : thp === 0 ? 0 : 1,
  };
}

export function readStatus(pid: number | 'self', root = '/'): ProcStatus {
  return parseStatus(readText(path.join(root, 'proc', String(pid), 'status')));
}
