// `--expect '<metric> <op> <value>'`: a small strict grammar for expectations a user writes on the
// command line, parsed into the Run's Expectation shape so they are stored with the Run and can be
// re-checked from it later (`rsslab report`). Grammar (spaces optional around the operator and '*'):
//
//   expectation := REF OP value
//   value       := SIZE | NUMBER '*' REF | REF '*' NUMBER | REF
//   OP          := '<' | '<=' | '>' | '>='
//   REF         := <series>@<selector>  |  metric.<name>        (src/check/metric.ts)
//   SIZE        := NUMBER [B|KiB|MiB|GiB|k|m|g…]                binary units: 300MiB = 300 × 2²⁰ bytes
//
// e.g.  rss@last <= 1.2 * rss@start:watch      rss@max < 300MiB      rss@start:settled <= rss@end:load * 0.5
import type { Comparison, Expectation } from '../run/schema.js';
import { parseBytes } from '../quantities.js';
import { sampleAccessor } from './metric.js';

export class ExpectParseError extends RangeError {
  override name = 'ExpectParseError';
}

const SELECTORS_ALONE = ['first', 'last', 'max', 'min'];
const SELECTORS_PHASE = ['start', 'end', 'max', 'min', 'mean', 'delta'];
const NUMBER = /^\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;

export interface ParseExpectOptions {
  /**
   * Only series the sampler reads (rss, anon, region.<name>.rss…): `rsslab watch` has no child
   * reports, so a name like "live@last" could never have a value there — refuse it up front.
   */
  sampleSeriesOnly?: boolean;
}

/** Check a metric reference's shape; returns it, or throws naming what is wrong and the forms that work. */
export function checkMetricRef(ref: string, text: string, opts: ParseExpectOptions = {}): string {
  const fail = (why: string): never => {
    throw new ExpectParseError(`--expect "${text}": ${why} (a metric is <series>@<selector>, e.g. rss@max, rss@end:free, rss@start:settled, or metric.<name>)`);
  };
  if (ref.startsWith('metric.')) {
    if (!/^metric\.[A-Za-z0-9_.-]+$/.test(ref)) fail(`"${ref}" is not a metric name`);
    return ref;
  }
  const at = ref.indexOf('@');
  if (at <= 0) fail(`"${ref}" is not a metric`);
  const series = ref.slice(0, at);
  const selector = ref.slice(at + 1);
  if (!/^[A-Za-z0-9_.-]+$/.test(series)) fail(`"${series}" is not a series name`);
  if (opts.sampleSeriesOnly && !sampleAccessor(series)) fail(`"${series}" is not a series the sampler reads (rss, pss, anon, anonHuge, lazyFree, swap, memFree, region.<name>.rss…)`);
  const colon = selector.indexOf(':');
  const how = colon < 0 ? selector : selector.slice(0, colon);
  const phase = colon < 0 ? null : selector.slice(colon + 1);
  if (phase === null && !SELECTORS_ALONE.includes(how)) fail(`"@${selector}": use ${SELECTORS_ALONE.join(', ')}, or ${SELECTORS_PHASE.join('|')}:<phase>`);
  if (phase !== null && (!SELECTORS_PHASE.includes(how) || !/^[A-Za-z0-9_.#-]+$/.test(phase))) fail(`"@${selector}": use ${SELECTORS_PHASE.join('|')}:<phase>, e.g. end:free`);
  return ref;
}

function isRef(token: string): boolean {
  return token.includes('@') || token.startsWith('metric.');
}

/** Parse one `--expect` text; `index` numbers its id (expect-1, expect-2…). */
export function parseExpectation(text: string, index = 1, opts: ParseExpectOptions = {}): Expectation {
  const m = /^\s*(\S+?)\s*(<=|>=|<|>)\s*(.+?)\s*$/.exec(text);
  if (!m) throw new ExpectParseError(`--expect "${text}": expected <metric> <op> <value>, with op one of < <= > >=, e.g. 'rss@last <= 1.2 * rss@start:watch' or 'rss@max < 300MiB'`);
  const left = checkMetricRef(m[1]!, text, opts);
  const op = m[2] as Comparison;
  const rhs = m[3]!;
  const base: Expectation = { id: `expect-${index}`, text: text.trim(), left, op, right: 0 };
  const star = rhs.split('*').map((s) => s.trim());
  if (star.length > 2 || star.some((s) => s === '')) throw new ExpectParseError(`--expect "${text}": the value is a size (300MiB), a metric, or a number times a metric (1.2 * rss@start:watch)`);
  if (star.length === 2) {
    const [a, b] = star as [string, string];
    const [factorText, ref] = NUMBER.test(a) ? [a, b] : NUMBER.test(b) ? [b, a] : [null, null];
    if (factorText === null || ref === null || !isRef(ref)) {
      throw new ExpectParseError(`--expect "${text}": "${rhs}" must be a number times a metric, e.g. 1.2 * rss@start:watch`);
    }
    const factor = Number(factorText);
    if (!(factor >= 0) || !Number.isFinite(factor)) throw new ExpectParseError(`--expect "${text}": the factor ${factorText} must be a finite number ≥ 0`);
    return { ...base, right: checkMetricRef(ref, text, opts), factor };
  }
  if (isRef(rhs)) return { ...base, right: checkMetricRef(rhs, text, opts) };
  // a bare number stays as written (ratios such as metric.rssOverLive < 1.5); a unit makes it bytes
  if (NUMBER.test(rhs)) return { ...base, right: Number(rhs) };
  try {
    return { ...base, right: parseBytes(rhs) };
  } catch {
    throw new ExpectParseError(`--expect "${text}": "${rhs}" is neither a size (a number, or with a binary unit: 300MiB, 1.5GiB) nor a metric (rss@start:watch)`);
  }
}

/** Parse every `--expect`, numbering them in order. */
export function parseExpectations(texts: string[], opts: ParseExpectOptions = {}): Expectation[] {
  return texts.map((t, i) => parseExpectation(t, i + 1, opts));
}
