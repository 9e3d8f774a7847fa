// Judging expectations from a Run's own data, so a saved Run can be re-checked later
// (`rsslab report` and `rsslab compare` call this on files, the runner on fresh results).
import type { Expectation, ExpectationResult, VariantRun } from '../run/schema.js';
import { evaluateMetric, MetricError } from './metric.js';

type Judged = Pick<VariantRun, 'samples' | 'marks' | 'reports' | 'metrics'>;

function compare(left: number, op: Expectation['op'], right: number): boolean {
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
  }
}

/**
 * `unmet` names requirements the variant ran without (e.g. "speedUp" when khugepaged could not be
 * sped up): expectations needing them are skipped, with the reason, instead of failing.
 */
export function judge(run: Judged, expectations: Expectation[], unmet: Record<string, string> = {}): ExpectationResult[] {
  return expectations.map((e): ExpectationResult => {
    // own keys only: a Run's requires: ["toString"] must not find Object.prototype's
    const missing = (e.requires ?? []).find((r) => Object.hasOwn(unmet, r));
    if (missing) return { ...e, status: 'skipped', leftValue: null, rightValue: null, reason: unmet[missing] };
    try {
      const leftValue = evaluateMetric(run, e.left);
      const base = typeof e.right === 'number' ? e.right : evaluateMetric(run, e.right);
      const rightValue = base === null ? null : base * (e.factor ?? 1) + (e.offset ?? 0);
      if (leftValue === null || rightValue === null) {
        const which = leftValue === null ? e.left : String(e.right);
        return { ...e, status: 'failed', leftValue, rightValue, reason: `no data for ${which} (the phase did not run or the series was not sampled)` };
      }
      return { ...e, status: compare(leftValue, e.op, rightValue) ? 'held' : 'failed', leftValue, rightValue };
    } catch (err) {
      if (err instanceof MetricError) return { ...e, status: 'failed', leftValue: null, rightValue: null, reason: err.message };
      throw err;
    }
  });
}

/** Re-judge a stored variant run with its own stored expectations (skips stay skipped). */
export function rejudge(v: VariantRun): ExpectationResult[] {
  // keys are strings from the Run file ("__proto__" included): a map without a prototype
  const unmet: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const e of v.expectations) if (e.status === 'skipped' && e.requires) for (const r of e.requires) unmet[r] = e.reason ?? 'skipped when run';
  return judge(v, v.expectations, unmet);
}
