// The parent's view of one child: the probe's SampleProbe (files kept open across samples) plus a
// page-map reader, behind one object the observer can call from its timer.
import type { Sample } from '../run/schema.js';
import { SampleProbe } from '../probe/sample.js';
import { PageMapReader, type PageMapResult } from '../probe/pagemap.js';

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

export class ProcessProbe {
  private readonly probe: SampleProbe;
  private pagemap: PageMapReader | null = null;
  private tagged = '';

  constructor(
    readonly pid: number,
    opts: ProcessProbeOptions,
  ) {
    this.probe = new SampleProbe(pid, { thp: opts.thp, memFree: opts.memFree, ...(opts.cgroupPath ? { cgroupPath: opts.cgroupPath } : {}) });
  }

  /** One sample, or null when the process has gone (its /proc files vanish or read empty). */
  sample(tMs: number, regions: TaggedRegion[]): Sample | null {
    const key = regions.map((r) => `${r.name}@${r.address}+${r.sizeBytes}`).join(',');
    if (key !== this.tagged) {
      this.probe.setRegions(Object.fromEntries(regions.map((r) => [r.name, { address: r.address, sizeBytes: r.sizeBytes }])));
      this.tagged = key;
    }
    try {
      return { tMs, ...this.probe.take() };
    } catch {
      return null;
    }
  }

  pageMap(region: TaggedRegion): PageMapResult | null {
    try {
      this.pagemap ??= new PageMapReader(this.pid);
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
