// The parent's view of one child: the probe's SampleProbe (files kept open across samples) plus a
// page-map reader, behind one object the observer can call from its timer.
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Sample } from '../run/schema.js';
import { SampleProbe } from '../probe/sample.js';
import { PageMapReader, type PageMapResult } from '../probe/pagemap.js';
import { nativePageMapClassifier } from '../core/pagemap.js';

export interface TaggedRegion {
  name: string;
  address: bigint;
  sizeBytes: number;
}

export interface ProcessProbeOptions {
  thp: boolean;
  memFree: boolean;
  cgroupPath: string | null;
}

/**
 * A full sample reads smaps, which makes the kernel walk the child's page tables under its mmap lock:
 * 1 ms at 16 MiB resident, 16 ms at 1 GiB (measured here). Between full samples the probe takes
 * fast ones (/proc/<pid>/status: RSS, anon, swap in ~0.02 ms), so RSS keeps the asked rate while the
 * detailed figures (regions, LazyFree, AnonHugePages) cost at most FULL_SHARE of the wall clock.
 */
const FULL_SHARE = 0.25;

export class ProcessProbe {
  private probe: SampleProbe;
  private opens = 1;
  private samplesSinceOpen = 0;
  private pagemap: PageMapReader | null = null;
  private tagged = '';
  private lastFullMs = Number.NEGATIVE_INFINITY;
  private fullCostMs = 0;

  constructor(
    readonly pid: number,
    private readonly opts: ProcessProbeOptions,
  ) {
    this.probe = this.open();
  }

  private open(): SampleProbe {
    return new SampleProbe(this.pid, { thp: this.opts.thp, memFree: this.opts.memFree, ...(this.opts.cgroupPath ? { cgroupPath: this.opts.cgroupPath } : {}) });
  }

  /** One sample, or null when the process has gone (its /proc files vanish or read empty). `full` forces the detailed read (phase marks). */
  sample(tMs: number, regions: TaggedRegion[], full = false): Sample | null {
    this.setRegions(regions);
    const s = this.take(tMs, full);
    if (s !== null) {
      this.samplesSinceOpen++;
      return s;
    }
    // The process lives but its files read empty: it exec'd, and files opened before belong to the
    // old mm. A program may exec more than once (`watch --thp-disable`'s wrapper; a pyenv or rbenv
    // shim is a shell script that execs the interpreter), so open again whenever the files in hand
    // gave samples, or when they are the first ones (opened between fork and exec). Files that read
    // empty straight after opening belong to a process that is exiting (a zombie has no mm).
    if (!existsSync(`/proc/${this.pid}`) || (this.samplesSinceOpen === 0 && this.opens > 1)) return null;
    this.opens++;
    this.samplesSinceOpen = 0;
    this.probe.close();
    this.probe = this.open();
    this.tagged = '';
    this.setRegions(regions);
    const again = this.take(tMs, full);
    if (again !== null) this.samplesSinceOpen++;
    return again;
  }

  private setRegions(regions: TaggedRegion[]): void {
    const key = regions.map((r) => `${r.name}@${r.address}+${r.sizeBytes}`).join(',');
    if (key === this.tagged) return;
    this.probe.setRegions(Object.fromEntries(regions.map((r) => [r.name, { address: r.address, sizeBytes: r.sizeBytes }])));
    this.tagged = key;
  }

  private take(tMs: number, full: boolean): Sample | null {
    try {
      const wantFull = full || tMs - this.lastFullMs >= (this.fullCostMs * (1 - FULL_SHARE)) / FULL_SHARE;
      if (!wantFull) return { tMs, ...this.probe.take('fast') };
      const t0 = performance.now();
      const s = { tMs, ...this.probe.take('full') };
      this.fullCostMs = performance.now() - t0;
      this.lastFullMs = tMs;
      return s;
    } catch {
      return null;
    }
  }

  pageMap(region: TaggedRegion): PageMapResult | null {
    try {
      // classified in the addon: the JS decode cost ~0.1 s of CPU per GiB of small pages
      this.pagemap ??= new PageMapReader(this.pid, { classifier: nativePageMapClassifier });
      return this.pagemap.read(region.address, region.sizeBytes);
    } catch {
      return null;
    }
  }

  close(): void {
    this.probe.close();
    this.pagemap?.close();
  }
}
