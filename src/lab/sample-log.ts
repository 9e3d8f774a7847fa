// Every sample of a long watch, streamed to disk as it comes: one JSON object per line (NDJSON) in a
// file beside the Run. Memory holds only a bounded downsample (src/run/downsample.ts); the log is the
// full record, readable line by line by anything (jq, pandas, a spreadsheet import). Writes are
// batched (one write(2) per ~64 KiB) so a 20 ms sampler spends microseconds per sample on it. The
// file is created with O_EXCL: rsslab runs as root and must not follow a planted symlink.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { Sample } from '../run/schema.js';

const FLUSH_BYTES = 64 * 1024;

export class SampleLog {
  private fd: number | null;
  private pending: string[] = [];
  private pendingBytes = 0;
  private written = 0;
  /** why logging stopped (a full disk), or null */
  error: string | null = null;

  constructor(readonly path: string) {
    this.fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  }

  add(s: Sample): void {
    if (this.fd === null) return;
    const line = JSON.stringify(s) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.written++;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  /** samples handed to the log */
  get count(): number {
    return this.written;
  }

  flush(): void {
    if (this.fd === null || this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      let off = 0;
      while (off < chunk.length) off += writeSync(this.fd, chunk, off);
    } catch (e) {
      this.error = `${(e as NodeJS.ErrnoException).code ?? (e as Error).message}: the sample log stopped after ${this.written} samples`;
      this.close();
    }
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    if (this.error === null) this.flush();
    this.fd = null;
    closeSync(fd);
  }
}
