// Correction for judging many figures at once. `rsslab compare` tests every figure it judges (a CI
// run of every experiment judges about 180); at α = 0.05 each, a few would come out
// "significant" by chance alone on every build. The default is Holm–Bonferroni: it bounds the
// chance of even ONE false regression (the family-wise error rate), which is what a build gate
// needs — one false regression already fails the build — and it holds under any dependence
// between the tests (the figures of one variant, RSS at the end of a phase and anon bytes at the
// same moment, move together). Benjamini–Hochberg bounds the expected SHARE of false findings
// among those reported instead; it is more powerful when many figures really moved, but assumes
// positively dependent tests and lets a false regression through on a good share of builds. It is
// offered (`--correction bh`) for exploring, not for gating. simple-statistics has neither.

import { minimumP } from './permutation.js';

export type Correction = 'holm' | 'bh' | 'none';

export const CORRECTIONS: readonly Correction[] = ['holm', 'bh', 'none'];

export const CORRECTION_NAMES: Record<Correction, string> = {
  holm: 'Holm–Bonferroni',
  bh: 'Benjamini–Hochberg',
  none: 'no correction',
};

export function parseCorrection(text: string): Correction {
  const t = text.trim().toLowerCase();
  if (t === 'holm' || t === 'holm-bonferroni') return 'holm';
  if (t === 'bh' || t === 'benjamini-hochberg' || t === 'fdr') return 'bh';
  if (t === 'none') return 'none';
  throw new RangeError(`--correction "${text}": use holm (the default, for a build gate), bh (Benjamini–Hochberg) or none`);
}

function order(ps: readonly number[]): number[] {
  return ps.map((_, i) => i).sort((a, b) => ps[a]! - ps[b]! || a - b);
}

/**
 * Adjusted p-values in the input's order: a figure is significant at level α when its adjusted p ≤ α.
 * Holm: the i-th smallest p (1-based) is multiplied by (m − i + 1), made non-decreasing along the
 * order. BH: the i-th smallest is multiplied by m / i, made non-increasing from the largest down.
 */
export function adjustPValues(ps: readonly number[], method: Correction): number[] {
  for (const p of ps) if (!(p >= 0 && p <= 1)) throw new RangeError(`a p-value must be between 0 and 1, got ${p}`);
  const m = ps.length;
  if (method === 'none' || m === 0) return [...ps];
  const idx = order(ps);
  const adjusted = new Array<number>(m);
  if (method === 'holm') {
    let running = 0;
    idx.forEach((i, rank) => {
      running = Math.max(running, Math.min(1, (m - rank) * ps[i]!));
      adjusted[i] = running;
    });
  } else {
    let running = 1;
    for (let rank = m - 1; rank >= 0; rank--) {
      const i = idx[rank]!;
      running = Math.min(running, Math.min(1, (m / (rank + 1)) * ps[i]!));
      adjusted[i] = running;
    }
  }
  return adjusted;
}

/**
 * The smallest adjusted p ONE figure can get when it alone moved and the test's smallest possible p
 * is `minP`: m × minP under both Holm (its first step) and BH (rank 1 of m). When it exceeds α, no
 * single regression can be found, whatever the data: more repeats are needed.
 */
export function smallestAdjustedP(minP: number, m: number, method: Correction): number {
  return method === 'none' ? minP : Math.min(1, m * minP);
}

/** Repeats a side (equal on both) for one figure out of `m` to be able to reach α under the correction. */
export function repeatsNeeded(m: number, alpha: number, method: Correction): number {
  for (let n = 2; n <= 40; n++) if (smallestAdjustedP(minimumP(n, n), Math.max(1, m), method) <= alpha) return n;
  return 40;
}
