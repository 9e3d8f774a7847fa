// `rsslab/vitest`: memory matchers for a test runner's `expect` — vitest's, or jest's (the same
// expect.extend contract). Nothing here imports vitest: the matchers are plain functions that read
// `this.isNot`, so the runtime never needs it; only the type augmentation below names it.
//
//   import { memoryMatchers } from 'rsslab/vitest';
//   expect.extend(memoryMatchers);
//   const result = await expectMemory({ command, markOnStdout: /^phase (\w+)/, settleMs: 2000, expect: [...] });
//   expect(result).toHoldMemoryExpectations();
//   expect(result.run).toReturnMemory({ from: 'load', slack: '16MiB' });
//   expect(result.run).toSatisfyMemory('rss@max < 300MiB');
// types only, erased from the JavaScript: the module augmented at the end of this file
import type {} from 'vitest';
import type { ExpectationResult, Run, VariantRun } from './run/schema.js';
import { RUN_SCHEMA } from './run/schema.js';
import { parseExpectations } from './check/expect.js';
import { judge } from './check/expectations.js';
import { explainFailures } from './report/expectation-failure.js';
import { describeComparison } from './report/summary.js';
import { parseBytes } from './quantities.js';

/** What `this` holds inside a matcher, in vitest and jest alike (only what these matchers read). */
export interface MemoryMatcherContext {
  isNot: boolean;
}

export interface MemoryMatcherResult {
  pass: boolean;
  message: () => string;
}

export interface ReturnMemoryOptions {
  /** the phase whose start is the baseline (default: the program's first own phase, else "watch") */
  from?: string;
  /** the phase whose start is judged (default: "settled" when the Run has it, else "end") */
  at?: string;
  /** how far above the baseline RSS may stay: a size ("16MiB") or bytes (default 4 MiB) */
  slack?: string | number;
}

/** The matchers' signatures, for `expect(x).…` (vitest's Assertion and jest's Matchers both extend it). */
export interface RsslabMatchers<R = unknown> {
  /** every expectation stored with the measurement held (skipped ones aside) and the command succeeded */
  toHoldMemoryExpectations(): R;
  /** these expectations, in the --expect text form, hold on what was measured */
  toSatisfyMemory(expectations: string | string[]): R;
  /** RSS at the start of `at` is back within `slack` of RSS at the start of `from` */
  toReturnMemory(options?: ReturnMemoryOptions): R;
}

type Measured = Pick<VariantRun, 'variant' | 'repeat' | 'label' | 'status' | 'failure' | 'samples' | 'marks' | 'reports' | 'metrics' | 'expectations'>;

interface Subject {
  variants: Measured[];
  /** watch Runs (and expectMemory results) have only what the sampler read: no child reports */
  sampledOnly: boolean;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function isVariant(x: unknown): x is Measured {
  return isObject(x) && Array.isArray(x.samples) && Array.isArray(x.marks) && Array.isArray(x.expectations) && typeof x.variant === 'string';
}

function isRun(x: unknown): x is Run {
  return isObject(x) && x.schema === RUN_SCHEMA && Array.isArray(x.variants) && x.variants.every(isVariant);
}

/** A Run, one of its variants, or an expectMemory() result; a message saying what was given otherwise. */
function subjectOf(received: unknown): Subject | string {
  if (isObject(received) && isRun(received.run) && Array.isArray(received.results)) return { variants: received.run.variants, sampledOnly: received.run.kind === 'watch' };
  if (isRun(received)) return { variants: received.variants, sampledOnly: received.kind === 'watch' };
  if (isVariant(received)) return { variants: [received], sampledOnly: false };
  const what = received === null ? 'null' : Array.isArray(received) ? 'an array' : received instanceof Promise ? 'a Promise (await it, or use expect(…).resolves)' : typeof received === 'object' ? `an object with keys ${Object.keys(received).slice(0, 6).join(', ') || '(none)'}` : `${typeof received} ${String(received)}`;
  return `expected an rsslab Run, one of its variants, or an expectMemory() result, but got ${what}`;
}

function refused(message: string): MemoryMatcherResult {
  return { pass: false, message: () => message };
}

/** "variant x: " before each block when there are several variants. */
function perVariant(subject: Subject, text: (v: Measured) => string): string {
  const one = subject.variants.length === 1;
  return subject.variants
    .map((v) => ({ v, t: text(v) }))
    .filter((x) => x.t)
    .map((x) => (one ? x.t : `variant ${x.v.variant}, repeat ${x.v.repeat} (${x.v.label}):\n${x.t}`))
    .join('\n\n');
}

function heldText(results: ExpectationResult[]): string {
  return results.map((e) => `  ✓ ${e.text} — ${describeComparison(e)}`).join('\n');
}

interface Heads {
  /** "expected memory to satisfy …": the first line when it failed */
  fail: string;
  /** "expected memory not to satisfy …": the first line when .not was asked and it held */
  not: string;
}

function judged(subject: Subject, results: Map<Measured, ExpectationResult[]>, heads: Heads): MemoryMatcherResult {
  const failedIn = (v: Measured): boolean => v.status !== 'ok' || results.get(v)!.some((e) => e.status === 'failed');
  const pass = !subject.variants.some(failedIn);
  const message = (): string => {
    if (!pass) return `${heads.fail}\n\n${perVariant(subject, (v) => (failedIn(v) ? explainFailures({ ...v, expectations: results.get(v)! }) : ''))}`;
    // asked with .not, and everything held: say what held, with the values
    return `${heads.not}, but every one held:\n${perVariant(subject, (v) => heldText(results.get(v)!.filter((e) => e.status === 'held')))}`;
  };
  return { pass, message };
}

function toHoldMemoryExpectations(this: MemoryMatcherContext, received: unknown): MemoryMatcherResult {
  const subject = subjectOf(received);
  if (typeof subject === 'string') return refused(subject);
  if (subject.variants.every((v) => v.expectations.length === 0)) {
    return refused('the measurement has no expectations to hold: pass `expect: [...]` to expectMemory(), or judge some with toSatisfyMemory("rss@start:settled <= rss@start:load + 16MiB")');
  }
  const results = new Map(subject.variants.map((v) => [v, v.expectations] as const));
  return judged(subject, results, { fail: "expected the program's memory expectations to hold", not: 'expected a memory expectation to fail' });
}

function judgeTexts(received: unknown, texts: string[], heads: Heads): MemoryMatcherResult {
  const subject = subjectOf(received);
  if (typeof subject === 'string') return refused(subject);
  let expectations;
  try {
    expectations = parseExpectations(texts, { sampleSeriesOnly: subject.sampledOnly });
  } catch (e) {
    return refused((e as Error).message);
  }
  if (expectations.length === 0) return refused('give at least one expectation, e.g. "rss@start:settled <= rss@start:load + 16MiB"');
  const results = new Map(subject.variants.map((v) => [v, judge(v, expectations)] as const));
  return judged(subject, results, heads);
}

function toSatisfyMemory(this: MemoryMatcherContext, received: unknown, expectations: string | string[]): MemoryMatcherResult {
  const texts = typeof expectations === 'string' ? [expectations] : Array.isArray(expectations) && expectations.every((t) => typeof t === 'string') ? expectations : null;
  if (!texts) return refused('toSatisfyMemory takes an expectation text or an array of them, e.g. "rss@max < 300MiB"');
  const quoted = texts.map((t) => `"${t}"`).join(', ');
  return judgeTexts(received, texts, { fail: `expected memory to satisfy ${quoted}`, not: `expected memory not to satisfy ${quoted}` });
}

/** A size as the grammar reads it, exactly: "16MiB", "512KiB", "1000B". */
function sizeText(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)}MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return `${bytes}B`;
}

function toReturnMemory(this: MemoryMatcherContext, received: unknown, options: ReturnMemoryOptions = {}): MemoryMatcherResult {
  const subject = subjectOf(received);
  if (typeof subject === 'string') return refused(subject);
  let slack: number;
  try {
    slack = typeof options.slack === 'number' ? options.slack : parseBytes(options.slack ?? '4MiB');
    if (!(Number.isSafeInteger(slack) && slack >= 0)) throw new RangeError(`${String(options.slack)} is not a size in bytes ≥ 0`);
  } catch (e) {
    return refused(`toReturnMemory: slack ${(e as Error).message}`);
  }
  const first = subject.variants[0]!;
  const from = options.from ?? first.marks.find((m) => !['watch', 'settled', 'end'].includes(m.phase))?.phase ?? 'watch';
  const at = options.at ?? (first.marks.some((m) => m.phase === 'settled') ? 'settled' : 'end');
  const text = `rss@start:${at} <= rss@start:${from} + ${sizeText(slack)}`;
  return judgeTexts(received, [text], { fail: `expected memory to be returned: "${text}"`, not: `expected memory not to be returned: "${text}"` });
}

/** For `expect.extend(memoryMatchers)` in vitest or jest. */
export const memoryMatchers = { toHoldMemoryExpectations, toSatisfyMemory, toReturnMemory };

declare module 'vitest' {
  // the same type parameter as vitest's own declaration, which this merges with
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends RsslabMatchers<T> {}
}
