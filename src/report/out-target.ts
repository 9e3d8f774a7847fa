// Where reports may be written. `mkdir(dir, { recursive: true })` loops forever at full CPU on
// /proc/x (Node 20: each mkdir gets ENOENT, its parent exists, it tries again), and a report has no
// business in /proc, /sys or a cgroup tree anyway — rsslab runs as root, where a write there changes
// the kernel. So the folder is created one level at a time, every level must be a real directory,
// kernel pseudo-filesystems are refused, and an existing target must be a regular file.
import { lstatSync, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class OutputTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputTargetError';
  }
}

// statfs(2) f_type of the kernel's own filesystems (linux/magic.h)
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
]);

function pseudoFs(path: string): string | null {
  try {
    return PSEUDO_FS.get(Number(statfsSync(path).type)) ?? null;
  } catch {
    return null;
  }
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** Create `dir` (and missing parents) as real directories outside the kernel's pseudo-filesystems; returns its absolute path. */
export function prepareOutDir(dir: string): string {
  const abs = resolve(dir);
  // the nearest existing ancestor decides the filesystem; missing levels are made one at a time
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (e) {
      if (code(e) !== 'ENOENT' && code(e) !== 'ENOTDIR') throw new OutputTargetError(`cannot use ${at} (${code(e)})`);
      missing.push(at);
      const up = dirname(at);
      if (up === at) throw new OutputTargetError(`cannot use ${abs}: no existing folder above it`);
      at = up;
      continue;
    }
    if (!isDir) throw new OutputTargetError(`${at} is not a folder`);
    break;
  }
  const fs = pseudoFs(at);
  if (fs) throw new OutputTargetError(`${abs} is on the kernel's ${fs} filesystem, not a place for reports`);
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (e) {
      if (code(e) !== 'EEXIST') throw new OutputTargetError(`${code(e)} (mkdir ${level})`);
    }
    if (!lstatSync(level).isDirectory()) throw new OutputTargetError(`${level} is not a folder`);
  }
  return abs;
}

/** An existing target must be a regular file: a FIFO, a device or a folder in its place is refused. */
export function checkTargetFile(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if (code(e) === 'ENOENT') return;
    throw new OutputTargetError(`cannot use ${path} (${code(e)})`);
  }
  if (!st.isFile()) throw new OutputTargetError(`${path} exists and is not a regular file (${st.isDirectory() ? 'a folder' : st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a FIFO' : 'a special file'}): move it away`);
}
