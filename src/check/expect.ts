// `--expect '<metric> <op> <value>'`: a small strict grammar for expectations a user writes on the
// command line, parsed into the Run's Expectation shape so they are stored with the Run and can be
// re-checked from it later (`rsslab report`). Grammar (spaces optional around the operator and '*'):
//
//   expectation := REF OP value
//   value       := ['-'] term (('+' | '-') term)*             at most one REF (src/check/expect-value.ts)
//   term        := SIZE | NUMBER | REF | NUMBER '*' REF | REF '*' NUMBER
//   OP          := '<' | '<=' | '>' | '>='
//   REF         := <series>@<selector>  |  metric.<name>        (src/check/metric.ts)
//   SIZE        := NUMBER [B|KiB|MiB|GiB|k|m|g…]                binary units: 300MiB = 300 × 2²⁰ bytes
//
// e.g.  rss@last <= 1.2 * rss@start:watch      rss@max < 300MiB      rss@start:settled <= rss@end:load * 0.5
//       rss@start:settled <= rss@start:load + 16MiB      rss@delta:free <= -60MiB
import type { Comparison, Expectation } from '../run/schema.js';
import { parseValue, ValueSyntaxError } from './expect-value.js';
import { sampleAccessor } from './metric.js';

export class ExpectParseError extends RangeError {
  override name = 'ExpectParseError';
}

const SELECTORS_ALONE = ['first', 'last', 'max', 'min'];
const SELECTORS_PHASE = ['start', 'end', 'max', 'min', 'mean', 'delta'];

export interface ParseExpectOptions {
  /**
   * Only series the sampler reads (rss, anon, region.<name>.rss…): `rsslab watch` has no child
   * reports, so a name like "live@last" could never have a value there — refuse it up front.
   */
  sampleSeriesOnly?: boolean;
}

/** Two lines under the text: the text again, and carets under the span that is wrong. */
function pointAt(text: string, pos: number, length: number): string {
  return `\n    ${text}\n    ${' '.repeat(pos)}${'^'.repeat(Math.max(1, length))}`;
}

/**
 * Check a metric reference's shape; returns it, or throws naming what is wrong and the forms that work
 * (with carets under it when `pos`, its index in `text`, is given).
 */
export function checkMetricRef(ref: string, text: string, opts: ParseExpectOptions = {}, pos?: number): string {
  const fail = (why: string): never => {
    const where = pos === undefined ? '' : pointAt(text, pos, ref.length);
    throw new ExpectParseError(`--expect "${text}": ${why} (a metric is <series>@<selector>, e.g. rss@max, rss@end:free, rss@start:settled, or metric.<name>)${where}`);
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

/** Parse one `--expect` text; `index` numbers its id (expect-1, expect-2…). */
export function parseExpectation(text: string, index = 1, opts: ParseExpectOptions = {}): Expectation {
  const m = /^\s*(\S+?)\s*(<=|>=|<|>)\s*(.+?)\s*$/d.exec(text);
  if (!m) throw new ExpectParseError(`--expect "${text}": expected <metric> <op> <value>, with op one of < <= > >=, e.g. 'rss@last <= 1.2 * rss@start:watch', 'rss@start:settled <= rss@start:load + 16MiB' or 'rss@max < 300MiB'`);
  const left = checkMetricRef(m[1]!, text, opts, m.indices![1]![0]);
  const op = m[2] as Comparison;
  const rhsAt = m.indices![3]![0];
  try {
    const parts = parseValue(m[3]!, (ref, t) => checkMetricRef(ref, text, opts, rhsAt + t.pos));
    return { id: `expect-${index}`, text: text.trim(), left, op, ...parts };
  } catch (e) {
    if (e instanceof ValueSyntaxError) throw new ExpectParseError(`--expect "${text}": ${e.message}${pointAt(text, rhsAt + e.pos, e.length)}`);
    throw e;
  }
}

/** Parse every `--expect`, numbering them in order. */
export function parseExpectations(texts: string[], opts: ParseExpectOptions = {}): Expectation[] {
  return texts.map((t, i) => parseExpectation(t, i + 1, opts));
}
