// A one-sided permutation test on the difference of means: how likely is a candidate-minus-baseline
// difference at least this large if the two sets of repeats came from the same distribution?
// With few repeats (a CI job runs 3) the p-value is computed EXACTLY over every way of splitting the
// pooled values: 3 against 3 has C(6,3) = 20 splits, so the smallest possible p is 1/20 = 0.05 —
// a Monte-Carlo estimate of it would land on either side of 0.05 at random and flip the build.
// Larger samples use simple-statistics' permutationTest with a fixed-seed random source, so the same
// files always give the same verdict.
import { mean, permutationTest } from 'simple-statistics';

/** Exact enumeration up to this many splits; above it, 10 000 seeded random permutations. */
const EXACT_LIMIT = 50_000;
const RANDOM_PERMUTATIONS = 10_000;

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** The smallest p the test can give for these sample sizes: 1 / C(n+m, n) (exact test). */
export function minimumP(nBaseline: number, nCandidate: number): number {
  return 1 / binomial(nBaseline + nCandidate, nCandidate);
}

/** mulberry32: a small seeded PRNG, so a verdict does not depend on Math.random. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * p-value of "candidate is greater than baseline" (one-sided). To test "smaller", negate both.
 * Needs at least one value on each side.
 */
export function permutationPGreater(baseline: number[], candidate: number[]): { p: number; exact: boolean } {
  if (baseline.length === 0 || candidate.length === 0) throw new RangeError('a permutation test needs values on both sides');
  const n = candidate.length;
  const pooled = [...candidate, ...baseline];
  const total = pooled.reduce((a, b) => a + b, 0);
  const observed = mean(candidate) - mean(baseline);
  // relative tolerance so that float sums of equal splits count as "at least as large"
  const eps = 1e-9 * pooled.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
  if (binomial(pooled.length, n) > EXACT_LIMIT) {
    return { p: permutationTest(candidate, baseline, 'greater', RANDOM_PERMUTATIONS, seeded(0x5eed)), exact: false };
  }
  let atLeast = 0;
  let count = 0;
  const idx: number[] = [];
  // every n-subset of the pooled values as the "candidate" group
  const visit = (start: number, sum: number): void => {
    if (idx.length === n) {
      count++;
      const diff = sum / n - (total - sum) / (pooled.length - n);
      if (diff >= observed - eps) atLeast++;
      return;
    }
    for (let i = start; i <= pooled.length - (n - idx.length); i++) {
      idx.push(i);
      visit(i + 1, sum + pooled[i]!);
      idx.pop();
    }
  };
  visit(0, 0);
  return { p: atLeast / count, exact: true };
}
