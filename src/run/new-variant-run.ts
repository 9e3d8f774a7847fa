// A VariantRun before anything happened: the runner fills it as the child runs, `rsslab watch` as it
// watches, the workshop keeps a live copy of it from the runner's events.
import type { VariantRun, VariantSettings } from './schema.js';

export function newVariantRun(who: Pick<VariantRun, 'variant' | 'label' | 'description' | 'repeat'>, settings: VariantSettings, startedAt = new Date().toISOString()): VariantRun {
  return {
    ...who,
    status: 'ok',
    startedAt,
    durationMs: 0,
    settings,
    marks: [],
    samples: [],
    reports: [],
    pageMaps: [],
    sampler: null,
    expectations: [],
    metrics: {},
  };
}
