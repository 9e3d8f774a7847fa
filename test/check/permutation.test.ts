import { describe, it, expect } from 'vitest';
import { minimumP, permutationPGreater } from '../../src/check/permutation.js';

// Exact p-values of a permutation test are combinatorial facts: with 3 against 3 there are
// C(6,3) = 20 ways to split the pooled values, so complete separation gives exactly 1/20.
describe('permutation test', () => {
  it('permutation - 3 vs 3 fully separated gives exactly p = 0.05, the least possible', () => {
    const r = permutationPGreater([1, 2, 3], [10, 11, 12]);
    expect(r).toEqual({ p: 0.05, exact: true });
    expect(minimumP(3, 3)).toBeCloseTo(0.05, 12);
  });
  it('permutation - 2 vs 2 can never go below 1/6, 1 vs 1 never below 1/2', () => {
    expect(minimumP(2, 2)).toBeCloseTo(1 / 6, 12);
    expect(minimumP(1, 1)).toBe(0.5);
    expect(permutationPGreater([1, 2], [10, 11]).p).toBeCloseTo(1 / 6, 12);
  });
  it('permutation - overlapping repeats give a large p; identical ones p = 1', () => {
    expect(permutationPGreater([0, 0, 30], [0, 20, 25]).p).toBeGreaterThan(0.2);
    expect(permutationPGreater([5, 5, 5], [5, 5, 5]).p).toBe(1);
  });
  it('permutation - a candidate lower than the baseline is not "greater" (p near 1)', () => {
    expect(permutationPGreater([10, 11, 12], [1, 2, 3]).p).toBe(1);
  });
  it('permutation - large samples use the seeded Monte-Carlo test and give the same p every time', () => {
    const b = Array.from({ length: 20 }, (_, i) => i);
    const c = Array.from({ length: 20 }, (_, i) => i + 15);
    const first = permutationPGreater(b, c);
    expect(first.exact).toBe(false);
    expect(first.p).toBeLessThan(0.01);
    expect(permutationPGreater(b, c).p).toBe(first.p);
  });
  it('permutation - empty sides are refused', () => {
    expect(() => permutationPGreater([], [1])).toThrow(RangeError);
  });
});
