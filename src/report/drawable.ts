// What the charts of a Run are drawn from. A day of samples is millions of points that no screen
// shows: a long variant's samples are thinned by the Run's own bounded downsample (each bucket's
// first sample and its extremes, src/run/downsample.ts), so a day draws as fast as a minute and no
// peak is lost. Samples at phase marks stay, so a figure read at a boundary reads the same.
import { downsampleSamples } from '../run/downsample.js';
import type { Run, Sample, VariantRun } from '../run/schema.js';

/** Buckets per variant: ~2 × this many points at most, far more than a chart's width in pixels. */
export const DRAW_BUCKETS = 2048;

function thinVariant(v: VariantRun): VariantRun {
  if (v.samples.length <= DRAW_BUCKETS * 2) return v;
  const kept = new Set<Sample>(downsampleSamples(v.samples, DRAW_BUCKETS));
  // the samples nearest each mark (the last at or before it, the first after it)
  for (const m of v.marks) {
    let lo = 0;
    let hi = v.samples.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v.samples[mid]!.tMs <= m.tMs) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) kept.add(v.samples[lo - 1]!);
    if (lo < v.samples.length) kept.add(v.samples[lo]!);
  }
  return { ...v, samples: [...kept].sort((a, b) => a.tMs - b.tMs) };
}

export function drawable(run: Run): Run {
  return run.variants.some((v) => v.samples.length > DRAW_BUCKETS * 2) ? { ...run, variants: run.variants.map(thinVariant) } : run;
}
