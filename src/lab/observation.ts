// The one way rsslab observes a process, whoever started it: a probe on its /proc files, the sampler
// on a fixed schedule, a full sample at every phase boundary, each sample handed to a store. The
// replay's child and a real counterpart (observe.ts) and any program under `rsslab watch` (watch.ts)
// all go through here; they differ only in how the process starts and where its boundaries come from
// (the child protocol, lines of the program's stdout). Runs in the parent: the observed process does
// nothing for it.
import type { Sample, SamplerStats } from '../run/schema.js';
import { ProcessProbe, type ProcessProbeOptions, type TaggedRegion } from './process-probe.js';
import { Sampler } from './sampler.js';
import type { SampleStore } from './sample-store.js';

export interface ObservationOptions {
  pid: number;
  /** performance.now() when the process was started: every tMs counts from here */
  originMs: number;
  intervalMs: number;
  probe: ProcessProbeOptions;
  store: SampleStore;
  /** the regions the process has tagged, read at every sample (the replay tags its mappings) */
  regions?: () => TaggedRegion[];
  /** told every sample once stored (`atMark`: a boundary's); returning false ends the schedule */
  onSample?: (s: Sample, atMark: boolean) => boolean | void;
  /** a scheduled sample found the process gone (its /proc files vanished); the schedule has ended */
  onGone?: () => void;
}

export class Observation {
  private readonly probe: ProcessProbe;
  private readonly sampler: Sampler;
  private stats: SamplerStats | null = null;
  private latest: Sample | null = null;

  constructor(private readonly o: ObservationOptions) {
    this.probe = new ProcessProbe(o.pid, o.probe);
    this.sampler = new Sampler({ intervalMs: o.intervalMs, originMs: o.originMs, tick: (tMs) => this.scheduled(tMs) });
  }

  start(): void {
    this.sampler.start();
  }

  private take(tMs: number, atMark: boolean): { sample: Sample | null; goOn: boolean } {
    const s = this.probe.sample(tMs, this.o.regions?.() ?? [], atMark);
    if (!s) return { sample: null, goOn: false };
    if (atMark) this.o.store.addMark(s);
    else this.o.store.add(s);
    this.latest = s;
    return { sample: s, goOn: this.o.onSample?.(s, atMark) !== false };
  }

  private scheduled(tMs: number): boolean {
    const { sample, goOn } = this.take(tMs, false);
    if (!sample) this.o.onGone?.();
    return goOn;
  }

  /**
   * The state at a boundary, taken while the process waits there (the replay's child waits for its
   * ack): a full sample (regions, LazyFree), kept whole. Null when the process is gone. Works after
   * stop(): the end mark stops the schedule and a last boundary may follow.
   */
  mark(tMs: number): Sample | null {
    return this.take(tMs, true).sample;
  }

  /** the last sample stored, scheduled or at a mark */
  get last(): Sample | null {
    return this.latest;
  }

  /** pagemap of a tagged region, read from outside (null when unreadable or the process is gone) */
  pageMap(region: TaggedRegion): ReturnType<ProcessProbe['pageMap']> {
    return this.probe.pageMap(region);
  }

  /** Ends the schedule; the first call's figures are kept, so stopping again changes nothing. */
  stop(): SamplerStats {
    this.stats ??= this.sampler.stop();
    return this.stats;
  }

  /** Ends the schedule and closes the process's files. */
  close(): SamplerStats {
    const stats = this.stop();
    this.probe.close();
    return stats;
  }
}
