// Raw reads and writes of kernel control files (sysfs knobs, cgroup files). Synchronous on purpose:
// the restore path runs inside process.on('exit'), where nothing asynchronous gets to run.
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { parseBracketed } from '../probe/thp.js';

/** The value a knob file shows: the bracketed choice ("always [madvise] never" → "madvise"), else the trimmed text. */
export function knobValue(text: string): string {
  return parseBracketed(text) ?? text.trim();
}

export function readControl(path: string): string {
  return knobValue(readFileSync(path, 'utf8'));
}

/**
 * Writes `value` to an existing control file. O_TRUNC so a plain file in a fixture tree holds only
 * the new value (sysfs and cgroupfs ignore it); O_CREAT only when asked (a fixture tree's new
 * cgroup, where no kernel creates the control files), so a typo can't create files.
 * Errors keep Node's `code`/`errno`/`syscall`.
 */
export function writeControl(path: string, value: string, options: { create?: boolean } = {}): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC | (options.create === true ? constants.O_CREAT : 0), 0o644);
  try {
    const bytes = Buffer.from(value + '\n');
    writeSync(fd, bytes, 0, bytes.length);
  } finally {
    closeSync(fd);
  }
}

/** A sentence for a failed write: the kernel's EINVAL means "value refused", EACCES/EPERM "needs root". */
export function explainWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EINVAL':
      return 'EINVAL: the kernel refused the value';
    case 'EACCES':
    case 'EPERM':
      return `${code}: permission denied — changing kernel settings needs root (run with sudo)`;
    case 'EROFS':
      return 'EROFS: the file system is read-only (a container without a writable /sys?)';
    case 'ENOENT':
      return 'ENOENT: no such file — this kernel does not have that setting';
    default:
      return (error as Error | undefined)?.message ?? String(error);
  }
}
