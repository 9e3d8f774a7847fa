// Where a watch's samples go: every one to the sample log on disk (when there is one), and into a
// bounded downsample in memory that keeps each bucket's extremes (src/run/downsample.ts). Samples at
// phase marks are kept whole, so `rss@end:<phase>` reads the boundary's own sample; past MAX_PINNED
// marks (a command printing a mark per request) they join the downsample like any other.
import { SampleDownsampler } from '../run/downsample.js';
import type { Sample } from '../run/schema.js';
import type { SampleLog } from './sample-log.js';
import type { SampleStore } from './sample-store.js';

const MAX_PINNED = 4096;
/** Buckets kept in memory: at most ~9 samples each (first, min/max of four figures), whatever the duration. */
export const WATCH_BUCKETS = 2048;

export class WatchSamples implements SampleStore {
  private readonly down: SampleDownsampler;
  private readonly pinned: Sample[] = [];

  constructor(
    private readonly log: SampleLog | null,
    buckets = WATCH_BUCKETS,
  ) {
    this.down = new SampleDownsampler(buckets);
  }

  /** a scheduled sample */
  add(s: Sample): void {
    this.log?.add(s);
    this.down.add(s);
  }

  /** a sample taken at a phase mark: kept whole */
  addMark(s: Sample): void {
    this.log?.add(s);
    if (this.pinned.length < MAX_PINNED) this.pinned.push(s);
    else this.down.add(s);
  }

  /** every sample seen */
  get count(): number {
    return this.down.count + this.pinned.length;
  }

  /** the kept samples in time order (bounded) */
  samples(): Sample[] {
    const kept = this.down.samples();
    for (const s of this.pinned) kept.push(s);
    return kept.sort((a, b) => a.tMs - b.tMs);
  }

  get bucketWidth(): number {
    return this.down.width;
  }
}
