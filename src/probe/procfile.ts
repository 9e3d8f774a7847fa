// Reading kernel text files cheaply and repeatedly. /proc and sysfs/cgroupfs files are seq_files:
// a positioned read at offset 0 on an fd kept open regenerates their content, so a sampler can
// skip the open/close of every tick. A file reports size 0, so we read until EOF into a buffer
// that grows once and is then reused.
import fs from 'node:fs';

/** An error with Node's errno shape, for "the process is gone" and "the file is missing". */
export interface ProbeError extends Error {
  code: string;
  path: string;
}

export function probeError(code: string, path: string, message: string): ProbeError {
  return Object.assign(new Error(message), { code, path });
}

/** Errors that mean "this file does not exist here" (THP compiled out, no cgroup, process exited). */
export function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR';
}

export interface ProcFileOptions {
  /**
   * The file is one seq_file record (single_open: status, smaps_rollup, meminfo): a read that leaves
   * room in the buffer returned all of it, so the EOF read (one more syscall) is skipped. Files of many
   * records (smaps, vmstat) return at most a page per read and are read to EOF.
   */
  singleRecord?: boolean;
}

/** One kernel text file, kept open across reads. */
export class ProcFile {
  readonly path: string;
  private fd: number | null = null;
  private buffer: Buffer;
  private readonly singleRecord: boolean;

  constructor(path: string, initialBytes = 16 * 1024, options: ProcFileOptions = {}) {
    this.path = path;
    this.buffer = Buffer.allocUnsafe(initialBytes);
    this.singleRecord = options.singleRecord ?? false;
  }

  /** The whole file as latin1 text (kernel text is ASCII); '' when the kernel has nothing to say (an exited process). */
  read(): string {
    const length = this.readBytes();
    return this.buffer.toString('latin1', 0, length);
  }

  /**
   * The whole file into the reused buffer (bytes, below): a positioned read at offset 0 on the kept fd
   * makes the kernel generate it afresh. Returns its length; 0 when the kernel has nothing to say.
   */
  readBytes(): number {
    if (this.fd === null) this.fd = fs.openSync(this.path, 'r');
    let length = 0;
    for (;;) {
      if (length === this.buffer.length) {
        const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
        this.buffer.copy(bigger, 0, 0, length);
        this.buffer = bigger;
      }
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buffer, length, this.buffer.length - length, length);
      } catch (err) {
        // A /proc/<pid> fd outlives its process: reads then fail with ESRCH.
        this.close();
        throw err;
      }
      if (n === 0) break;
      length += n;
      if (this.singleRecord && length < this.buffer.length) break;
    }
    return length;
  }

  /** The buffer readBytes() filled; valid until the next read. */
  get bytes(): Buffer {
    return this.buffer;
  }

  close(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // closing an fd of an exited process cannot fail in a way the caller can act on
      }
      this.fd = null;
    }
  }
}

/** One-shot read of a kernel text file. */
export function readText(path: string): string {
  return fs.readFileSync(path, 'latin1');
}

/** One-shot read that returns null when the file does not exist (optional kernel features). */
export function readTextIfPresent(path: string): string | null {
  try {
    return fs.readFileSync(path, 'latin1');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** smaps and smaps_rollup of an exited (zombie) process read empty: say so instead of "no Rss field". */
export function processGone(path: string): ProbeError {
  return probeError('ESRCH', path, `${path} has no memory figures: the process has exited`);
}
