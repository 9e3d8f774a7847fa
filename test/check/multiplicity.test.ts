import { describe, it, expect } from 'vitest';
import { adjustPValues, parseCorrection, repeatsNeeded, smallestAdjustedP } from '../../src/check/multiplicity.js';
import { minimumP } from '../../src/check/permutation.js';

// Adjusted p-values are arithmetic facts; the values below are those of R's p.adjust() for the same input.
describe('correction for many figures', () => {
  it('holm - the i-th smallest p times (m − i + 1), kept non-decreasing, in the input order', () => {
    const got = adjustPValues([0.03, 0.01, 0.05, 0.02, 0.04], 'holm');
    [0.09, 0.05, 0.09, 0.08, 0.09].forEach((want, i) => expect(got[i]).toBeCloseTo(want, 12));
  });
  it('bh - the i-th smallest p times m / i, kept non-increasing from the top', () => {
    const got = adjustPValues([0.03, 0.01, 0.05, 0.02, 0.04], 'bh');
    for (const p of got) expect(p).toBeCloseTo(0.05, 12);
    const spread = adjustPValues([0.001, 0.2, 0.5], 'bh');
    [0.003, 0.3, 0.5].forEach((want, i) => expect(spread[i]).toBeCloseTo(want, 12));
  });
  it('correction - adjusted values never exceed 1; none returns the input; an empty family is empty', () => {
    expect(adjustPValues([0.5, 0.6, 0.9], 'holm')).toEqual([1, 1, 1]);
    expect(adjustPValues([0.5, 0.01], 'none')).toEqual([0.5, 0.01]);
    expect(adjustPValues([], 'holm')).toEqual([]);
    expect(() => adjustPValues([1.5], 'holm')).toThrow(RangeError);
  });
  it('repeats - 3 a side can never pass Holm over 7 figures (7 × 1/20), 5 can (7 × 1/252); ~100 figures need 7, the 181 of run --all --quick 8', () => {
    expect(smallestAdjustedP(minimumP(3, 3), 7, 'holm')).toBeCloseTo(0.35, 12);
    expect(repeatsNeeded(7, 0.05, 'holm')).toBe(5);
    expect(repeatsNeeded(97, 0.05, 'holm')).toBe(7); // 97 / C(14,7) = 97 / 3432 ≈ 0.028
    expect(repeatsNeeded(181, 0.05, 'holm')).toBe(8); // run --all --quick: 181 / 3432 ≈ 0.053 > α, 181 / 12870 ≈ 0.014
    expect(repeatsNeeded(1, 0.05, 'none')).toBe(3);
  });
  it('correction - names parse; anything else is refused with the choices', () => {
    expect(parseCorrection('Holm')).toBe('holm');
    expect(parseCorrection('benjamini-hochberg')).toBe('bh');
    expect(() => parseCorrection('bonferonni')).toThrow(/use holm \(the default, for a build gate\), bh \(Benjamini–Hochberg\) or none/);
  });
});
