// Sampler cost and jitter figures over a run of any length. The first CAPACITY values are kept
// exactly; after that a uniform reservoir sample (Vitter's algorithm R) stands for them, so a day at
// 20 ms (4.3 million ticks) costs 64 Ki numbers, and the p99 of the reservoir estimates the p99 of all.
const CAPACITY = 65_536;

export class BoundedValues {
  private readonly values: number[] = [];
  private seen = 0;
  private sum = 0;
  // a fixed-seed generator: the same run gives the same figures
  private state = 0x2545f491;

  add(x: number): void {
    this.seen++;
    this.sum += x;
    if (this.values.length < CAPACITY) {
      this.values.push(x);
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < CAPACITY) this.values[j] = x;
  }

  get count(): number {
    return this.seen;
  }

  get mean(): number {
    return this.seen ? this.sum / this.seen : 0;
  }

  /** the kept values, sorted ascending (a copy) */
  sorted(): number[] {
    return [...this.values].sort((a, b) => a - b);
  }

  private random(): number {
    let s = this.state;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    this.state = s;
    return s / 0x100000000;
  }
}
