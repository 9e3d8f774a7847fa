// The sampler: runs in the parent, reads the child from outside at a fixed interval, on a monotonic
// clock, and records what it cost. Ticks are scheduled against absolute deadlines so a slow read
// does not shift every later sample (jitter is measured against those deadlines).
import { BoundedValues } from './bounded-stats.js';
import { performance } from 'node:perf_hooks';
import { quantileSorted } from 'simple-statistics';
import type { SamplerStats } from '../run/schema.js';

export const MIN_INTERVAL_MS = 2;
export const DEFAULT_INTERVAL_MS = 20;

export interface SamplerOptions {
  intervalMs: number;
  /** time origin (performance.now() at spawn) */
  originMs: number;
  /** one sample; returns false when the process is gone */
  tick: (tMs: number) => boolean;
  /**
   * At most this fraction of wall time is spent sampling (default 0.5). Reading smaps walks the
   * child's page tables under its mmap lock: sampling back to back would slow the very process we
   * measure (and khugepaged's work on it), so a costly sample pushes the next one out.
   */
  maxDutyCycle?: number;
}

export class Sampler {
  private timer: NodeJS.Timeout | null = null;
  // bounded: a day-long watch ticks millions of times (src/lab/bounded-stats.ts)
  private readonly costs = new BoundedValues();
  private readonly jitters = new BoundedValues();
  private nextDeadline = 0;
  private startedAt = 0;
  private stoppedAt = 0;

  constructor(private readonly opts: SamplerOptions) {
    if (!Number.isFinite(opts.intervalMs) || opts.intervalMs < MIN_INTERVAL_MS) {
      throw new RangeError(`sampling interval must be at least ${MIN_INTERVAL_MS} ms, got ${opts.intervalMs}`);
    }
  }

  start(): void {
    this.startedAt = performance.now();
    this.nextDeadline = this.startedAt;
    this.loop();
  }

  /** A sample outside the schedule (at a phase mark); counted in the cost figures too. */
  now(): void {
    this.measure();
  }

  private measure(): boolean {
    const t0 = performance.now();
    const alive = this.opts.tick(t0 - this.opts.originMs);
    this.costs.add(performance.now() - t0);
    return alive;
  }

  private loop = (): void => {
    const now = performance.now();
    this.jitters.add(Math.max(0, now - this.nextDeadline));
    if (!this.measure()) return;
    this.nextDeadline += this.opts.intervalMs;
    const after = performance.now();
    const duty = this.opts.maxDutyCycle ?? 0.5;
    const cost = after - now;
    const rest = (cost * (1 - duty)) / duty;
    if (this.nextDeadline < after + rest) this.nextDeadline = after + rest;
    // Fell behind (a long smaps read, a GC pause): skip missed deadlines rather than burst.
    if (this.nextDeadline < after) this.nextDeadline = after + this.opts.intervalMs - ((after - this.nextDeadline) % this.opts.intervalMs);
    this.timer = setTimeout(this.loop, this.nextDeadline - after);
  };

  stop(): SamplerStats {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stoppedAt = performance.now();
    const costs = this.costs.sorted();
    const jitters = this.jitters.sorted();
    const elapsedS = Math.max(1e-9, (this.stoppedAt - this.startedAt) / 1000);
    return {
      intervalMs: this.opts.intervalMs,
      count: this.costs.count,
      achievedHz: this.costs.count / elapsedS,
      costMeanMs: this.costs.mean,
      costP99Ms: costs.length ? quantileSorted(costs, 0.99) : 0,
      jitterP50Ms: jitters.length ? quantileSorted(jitters, 0.5) : 0,
      jitterP99Ms: jitters.length ? quantileSorted(jitters, 0.99) : 0,
    };
  }
}
