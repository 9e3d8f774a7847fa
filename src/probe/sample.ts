// One Sample of a child process, taken from the parent every 2-20 ms: smaps_rollup (or status on
// kernels before 4.14, which lack it), or smaps alone when regions are tagged, the rest only when the
// experiment asks. Files stay open between samples (see procfile.ts), the cgroup directory
// is resolved once, and parsing avoids per-line regexes: at 2 ms the sampler must not become the load.
//
// What a sample costs is mostly the kernel's: smaps and smaps_rollup walk the page tables of every
// mapping (measured here on a node child: ~0.9 ms at 16 MiB resident, ~2 ms at 64 MiB, ~9 ms at 256 MiB,
// ~16 ms at 1 GiB of small pages; huge pages are walked per PMD and cost far less), while status reads
// counters (~0.02 ms at any size). take('fast') uses status only, for a sampler that cannot afford a
// walk every tick: RSS, anon and swap without PSS, LazyFree, AnonHugePages or regions.
import fs from 'node:fs';
import path from 'node:path';
import type { RegionFigures, Sample } from '../run/schema.js';
import { CgroupMemoryReader } from './cgroup.js';
import { parseColonLines } from './fields.js';
import { parseMeminfo } from './meminfo.js';
import { ProcFile, processGone } from './procfile.js';
import { SmapsReader } from './smaps.js';
import { KeyTable, scanKeyLines } from './kib-lines.js';
import { parseVmstatThp } from './vmstat.js';

/** What a fast sample takes from /proc/<pid>/status, in this order. */
const STATUS_KEYS = new KeyTable(['VmRSS', 'RssAnon', 'VmSwap']);

export interface SampleRegion {
  address: bigint;
  sizeBytes: number;
}

export interface SampleOptions {
  /** tagged regions by name; each is summed over the smaps entries that overlap it */
  regions?: Record<string, SampleRegion>;
  /** read the THP counters of /proc/vmstat */
  thp?: boolean;
  /** the memory cgroup's directory (e.g. /sys/fs/cgroup/memory/rsslab-1234), v1 or v2 */
  cgroupPath?: string;
  /** read MemFree from /proc/meminfo */
  memFree?: boolean;
  /** filesystem root, for fixture trees */
  root?: string;
}

export type ProbeSample = Omit<Sample, 'tMs'>;

/** A reusable probe of one process: open files and resolved paths are kept across take() calls. */
export class SampleProbe {
  readonly pid: number;
  private readonly root: string;
  private regions: Array<[string, SampleRegion]>;
  private readonly smaps: SmapsReader;
  private status: ProcFile | null = null; // only when smaps_rollup is missing
  private rollupMissing = false;
  private readonly vmstat: ProcFile | null;
  private readonly meminfo: ProcFile | null;
  private readonly cgroup: CgroupMemoryReader | null;
  private readonly statusScratch = new Float64Array(3);

  constructor(pid: number, options: SampleOptions = {}) {
    if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`pid must be a positive integer, got ${pid}`);
    this.pid = pid;
    this.root = options.root ?? '/';
    this.regions = Object.entries(options.regions ?? {});
    this.smaps = new SmapsReader(pid, this.root);
    this.vmstat = options.thp ? new ProcFile(path.join(this.root, 'proc', 'vmstat'), 16 * 1024) : null;
    this.meminfo = options.memFree ? new ProcFile(path.join(this.root, 'proc', 'meminfo'), 8 * 1024, { singleRecord: true }) : null;
    this.cgroup = options.cgroupPath === undefined ? null : new CgroupMemoryReader(options.cgroupPath);
  }

  /** Regions come and go as the child tags and untags them. */
  setRegions(regions: Record<string, SampleRegion>): void {
    this.regions = Object.entries(regions);
  }

  /**
   * 'full': smaps_rollup, or, when regions are tagged, smaps alone with the totals summed from it (one
   * page-table walk, not two); 'fast': status only, see the header comment.
   */
  take(mode: 'full' | 'fast' = 'full'): ProbeSample {
    let sample: ProbeSample;
    if (mode === 'full' && this.regions.length > 0) {
      const { totals, ranges } = this.smaps.readSummary(this.regions.map(([, region]) => region));
      const regions: Record<string, RegionFigures> = {};
      this.regions.forEach(([name], i) => {
        const f = ranges[i];
        if (f) regions[name] = { sizeBytes: f.sizeBytes, rssBytes: f.rssBytes, anonHugeBytes: f.anonHugeBytes, lazyFreeBytes: f.lazyFreeBytes, swapBytes: f.swapBytes };
      });
      sample = { ...totals, regions };
    } else {
      sample = mode === 'fast' ? this.readStatusTotals() : this.readTotals();
    }
    if (this.vmstat) sample.thp = parseVmstatThp(this.vmstat.read());
    if (this.cgroup) sample.cgroup = this.cgroup.read();
    if (this.meminfo) {
      // MemFree is the second line of meminfo; parse only up to it
      const text = this.meminfo.read();
      const end = text.indexOf('\n', text.indexOf('MemFree:'));
      const free = parseColonLines(text, 0, end === -1 ? text.length : end).get('MemFree');
      sample.memFreeBytes = free ?? parseMeminfo(text).memFreeBytes;
    }
    return sample;
  }

  private readTotals(): ProbeSample {
    if (!this.rollupMissing) {
      try {
        const r = this.smaps.readRollupTotals();
        return { rssBytes: r.rssBytes, pssBytes: r.pssBytes, anonBytes: r.anonBytes, anonHugeBytes: r.anonHugeBytes, lazyFreeBytes: r.lazyFreeBytes, swapBytes: r.swapBytes, regions: {} };
      } catch (err) {
        // smaps_rollup appeared in Linux 4.14: fall back to status only when the file is missing from
        // a /proc/<pid> that exists (ESRCH, or no /proc/<pid> at all, means the process is gone)
        if ((err as { code?: unknown }).code !== 'ENOENT' || !this.procDirExists()) throw err;
        this.rollupMissing = true;
      }
    }
    return this.readStatusTotals();
  }

  private readStatusTotals(): ProbeSample {
    this.status ??= new ProcFile(path.join(this.root, 'proc', String(this.pid), 'status'), 4096, { singleRecord: true });
    const length = this.status.readBytes();
    this.statusScratch.fill(-1);
    scanKeyLines(this.status.bytes, 0, length, STATUS_KEYS, this.statusScratch);
    const rss = this.statusScratch[0] as number;
    const anon = this.statusScratch[1] as number;
    const swap = this.statusScratch[2] as number;
    // a zombie's status has no VmRSS line: its memory is already gone
    if (rss < 0) throw processGone(this.status.path);
    return { rssBytes: rss, pssBytes: null, anonBytes: anon < 0 ? null : anon, anonHugeBytes: null, lazyFreeBytes: null, swapBytes: swap < 0 ? null : swap, regions: {} };
  }

  private procDirExists(): boolean {
    return fs.existsSync(path.join(this.root, 'proc', String(this.pid)));
  }

  close(): void {
    this.smaps.close();
    this.status?.close();
    this.vmstat?.close();
    this.meminfo?.close();
    this.cgroup?.close();
  }
}

/** One sample, opening and closing everything; a sampler should keep a SampleProbe instead. */
export function takeSample(pid: number, options: SampleOptions = {}): ProbeSample {
  const probe = new SampleProbe(pid, options);
  try {
    return probe.take();
  } finally {
    probe.close();
  }
}
