// What an observation ends as, for an experiment and for `rsslab watch` alike: the variant's headline
// figures and verdicts, judged on its own data, and the Run around the variants, with the same fields
// in the same order (docs/run-schema.md).
import { RUN_SCHEMA, RUN_SCHEMA_VERSION, type Expectation, type Run, type VariantRun } from '../run/schema.js';
import { evaluateMetric } from '../check/metric.js';
import { judge } from '../check/expectations.js';
import { rsslabVersion } from './version.js';

/**
 * The headline's figures (a `metric.*` one is the experiment's own, already in `metrics`) and the
 * verdicts. `unmet` names what the variant ran without: expectations needing it are skipped.
 */
export function scoreVariant(out: VariantRun, headline: ReadonlyArray<{ metric: string }>, expectations: Expectation[], unmet: Record<string, string> = {}): void {
  for (const h of headline) {
    if (!h.metric.startsWith('metric.')) out.metrics[h.metric] = evaluateMetric(out, h.metric);
  }
  out.expectations = judge(out, expectations, unmet);
}

/** A Run from what was measured: the schema, its version and this rsslab's version go first. */
export function assembleRun(content: Omit<Run, 'schema' | 'schemaVersion' | 'rsslabVersion'>): Run {
  return { schema: RUN_SCHEMA, schemaVersion: RUN_SCHEMA_VERSION, rsslabVersion: rsslabVersion(), ...content };
}
