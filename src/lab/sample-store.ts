// Where an observation's samples go. An experiment's child ends within its timeout, so it keeps every
// sample; a watch may run for days, so it keeps a bounded downsample and streams every sample to disk
// (watch-samples.ts). A boundary's own sample comes through addMark, so a store that thins can keep it
// whole: `rss@end:<phase>` reads that sample.
import type { Sample } from '../run/schema.js';

export interface SampleStore {
  /** a scheduled sample */
  add(s: Sample): void;
  /** the full sample taken at a phase mark */
  addMark(s: Sample): void;
  /** every sample seen */
  readonly count: number;
  /** the samples kept, in time order */
  samples(): Sample[];
}

/** Every sample, in the order taken (an experiment's child: bounded by its timeout). */
export class AllSamples implements SampleStore {
  private readonly all: Sample[] = [];

  add(s: Sample): void {
    this.all.push(s);
  }

  addMark(s: Sample): void {
    this.all.push(s);
  }

  get count(): number {
    return this.all.length;
  }

  samples(): Sample[] {
    return this.all;
  }
}
