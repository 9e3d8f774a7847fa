// A bounded, shape-preserving downsample of samples, fed one at a time. A day of `watch` at 20 ms is
// 4.3 million samples: kept whole they exhaust the heap, and no chart or summary needs them all. The
// stream is cut into buckets of `width` consecutive samples; each bucket keeps its first sample and,
// for every figure below, the samples holding its minimum and maximum. When `capacity` buckets are
// full, neighbours merge pairwise and `width` doubles: the extremes of a merged bucket are among the
// extremes of its halves, so no peak and no trough is ever lost, and memory stays O(capacity).
// The same code bounds `watch` in memory and thins a long stored Run for its charts.
import type { Sample } from './schema.js';

type Figure = (s: Sample) => number | null | undefined;

/** The figures whose extremes every bucket keeps: what the summaries and charts of a long run show. */
const FIGURES: readonly Figure[] = [(s) => s.rssBytes, (s) => s.anonHugeBytes, (s) => s.lazyFreeBytes, (s) => s.swapBytes];

interface Extreme {
  min: Sample | null;
  minValue: number;
  max: Sample | null;
  maxValue: number;
}

export interface Bucket {
  /** index (in the order added) of the bucket's first sample, and one past its last */
  from: number;
  to: number;
  first: Sample;
  extremes: Extreme[];
}

function newBucket(s: Sample, index: number): Bucket {
  return { from: index, to: index, first: s, extremes: FIGURES.map(() => ({ min: null, minValue: Infinity, max: null, maxValue: -Infinity })) };
}

function addTo(b: Bucket, s: Sample): void {
  b.to++;
  for (let k = 0; k < FIGURES.length; k++) {
    const v = FIGURES[k]!(s);
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const e = b.extremes[k]!;
    if (v < e.minValue) {
      e.minValue = v;
      e.min = s;
    }
    if (v > e.maxValue) {
      e.maxValue = v;
      e.max = s;
    }
  }
}

function merge(a: Bucket, b: Bucket): Bucket {
  return {
    from: a.from,
    to: b.to,
    first: a.first,
    extremes: a.extremes.map((x, k) => {
      const y = b.extremes[k]!;
      const lo = y.minValue < x.minValue ? y : x;
      const hi = y.maxValue > x.maxValue ? y : x;
      return { min: lo.min, minValue: lo.minValue, max: hi.max, maxValue: hi.maxValue };
    }),
  };
}

/** The samples a bucket keeps, without repeats, in the order they were added. */
export function keptOf(b: Bucket): Sample[] {
  const kept = new Set<Sample>([b.first]);
  for (const e of b.extremes) {
    if (e.min) kept.add(e.min);
    if (e.max) kept.add(e.max);
  }
  return [...kept];
}

export class SampleDownsampler {
  private closed: Bucket[] = [];
  private open: Bucket | null = null;
  private bucketWidth = 1;
  private seen = 0;
  private lastSample: Sample | null = null;

  /** `capacity` buckets at most (even, ≥ 2): memory is O(capacity) whatever the stream's length. */
  constructor(readonly capacity = 2048) {
    if (!(Number.isInteger(capacity) && capacity >= 2 && capacity % 2 === 0)) throw new RangeError(`capacity must be an even integer ≥ 2, got ${capacity}`);
  }

  add(s: Sample): void {
    if (!this.open) this.open = newBucket(s, this.seen);
    addTo(this.open, s);
    this.seen++;
    this.lastSample = s;
    if (this.open.to - this.open.from >= this.bucketWidth) {
      this.closed.push(this.open);
      this.open = null;
      if (this.closed.length >= this.capacity) {
        const merged: Bucket[] = [];
        for (let i = 0; i + 1 < this.closed.length; i += 2) merged.push(merge(this.closed[i]!, this.closed[i + 1]!));
        this.closed = merged;
        this.bucketWidth *= 2;
      }
    }
  }

  /** samples added so far */
  get count(): number {
    return this.seen;
  }

  /** samples per bucket now */
  get width(): number {
    return this.bucketWidth;
  }

  buckets(): readonly Bucket[] {
    return this.open ? [...this.closed, this.open] : this.closed;
  }

  /** Every kept sample (each bucket's first and extremes, and the last one added), in the order added. */
  samples(): Sample[] {
    const out: Sample[] = [];
    for (const b of this.buckets()) for (const s of keptOf(b)) out.push(s);
    if (this.lastSample && out[out.length - 1] !== this.lastSample) out.push(this.lastSample);
    // within a bucket the kept samples come in figure order: put them back in time order
    return out.sort((a, b) => a.tMs - b.tMs);
  }
}

/** A long list thinned by the same buckets (short lists come back as they are). */
export function downsampleSamples(samples: readonly Sample[], capacity = 2048): Sample[] {
  if (samples.length <= capacity) return samples as Sample[];
  const d = new SampleDownsampler(capacity);
  for (const s of samples) d.add(s);
  return d.samples();
}
