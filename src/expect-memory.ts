// expectMemory(): `rsslab watch --expect` for a test runner — start a command, sample it from
// outside, judge memory expectations on what was measured, and say what failed the way a test
// failure reads. Cancellable (signal), bounded in time (timeoutMs), run where the caller says (cwd).
import type { Expectation, ExpectationResult, Run } from './run/schema.js';
import { parseExpectations } from './check/expect.js';
import { explainFailures } from './report/expectation-failure.js';
import { formatBytes } from './quantities.js';
import { AbortError, type StoppedWatch } from './lab/abort.js';
import { UsageError } from './usage-error.js';
import { watch, type WatchOptions } from './lab/watch.js';

export interface ExpectMemoryOptions extends Omit<WatchOptions, 'expect' | 'intervalMs' | 'markOnStdout'> {
  /**
   * Expectations in the --expect text form, e.g. "rss@start:settled <= rss@start:load + 16MiB" or
   * "rss@start:settled <= 1.2 * rss@start:load" (src/check/expect.ts).
   */
  expect: string[];
  intervalMs?: number;
  /** a RegExp, or its source text (as given to --mark-on-stdout) */
  markOnStdout?: RegExp | string;
  /**
   * Kill the command and reject with a TimeoutError when it is still running this long after it
   * started (settle time included). Without it, only `signal` or the command's own exit ends it.
   */
  timeoutMs?: number;
}

export interface ExpectMemoryResult {
  run: Run;
  results: ExpectationResult[];
  /** the command exited 0 (or was watched to the end) and every expectation held */
  ok: boolean;
  /** '' when ok; otherwise what failed, as a test failure reads: expected vs measured, phase, series */
  message: string;
}

/** expectMemory's command outlived its timeoutMs; it was killed. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  readonly code = 'ERR_RSSLAB_TIMEOUT';
  constructor(
    message: string,
    readonly timeoutMs: number,
    readonly stopped: StoppedWatch | null,
  ) {
    super(message);
  }
}

function timeoutMessage(o: ExpectMemoryOptions, timeoutMs: number, s: StoppedWatch | null): string {
  const what = s ? `${s.label} (pid ${s.pid}${o.cwd !== undefined ? `, cwd ${o.cwd}` : ''})` : (o.command ?? []).join(' ') || `pid ${o.pid}`;
  const where = s ? `, in phase "${s.phases[s.phases.length - 1]}" (phases seen: ${s.phases.join(', ')}), last RSS ${s.lastRssBytes === null ? '—' : formatBytes(s.lastRssBytes)}` : '';
  return `expectMemory: ${what} was still running after timeoutMs ${timeoutMs} ms${where}; it was killed. Make the program exit after its idle time, or raise timeoutMs.`;
}

/**
 * For a test runner: start a command, watch it from outside, judge memory expectations on what was
 * measured. `ok` is false when an expectation failed or the command failed; `message` says why,
 * `results` hold both sides' values; `run` is the Run JSON (write it with writeRunFile to keep it).
 * Throws UsageError (before starting anything) on a malformed expectation or option; rejects with
 * AbortError when `signal` aborts and TimeoutError after `timeoutMs`, the command killed either way.
 */
export async function expectMemory(o: ExpectMemoryOptions): Promise<ExpectMemoryResult> {
  const { expect: texts, markOnStdout: markText, timeoutMs, signal, ...rest } = o;
  let expect: Expectation[];
  let markOnStdout: RegExp | undefined;
  try {
    expect = parseExpectations(texts, { sampleSeriesOnly: true });
    markOnStdout = typeof markText === 'string' ? new RegExp(markText) : markText;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^Invalid regular expression/, 'markOnStdout: invalid regular expression'));
  }
  if (expect.length === 0) throw new UsageError('expectMemory: give at least one expectation, e.g. "rss@start:settled <= rss@start:load + 16MiB"');
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new UsageError(`expectMemory: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);

  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new UsageError('expectMemory: signal must be an AbortSignal (e.g. new AbortController().signal)');
  const timer = new AbortController();
  const handle = timeoutMs === undefined ? null : setTimeout(() => timer.abort(), timeoutMs);
  const signals = [timer.signal, ...(signal ? [signal] : [])];
  try {
    const run = await watch({ ...rest, intervalMs: o.intervalMs ?? 20, expect, ...(markOnStdout ? { markOnStdout } : {}), signal: AbortSignal.any(signals) });
    const v = run.variants[0]!;
    const ok = v.status === 'ok' && v.expectations.every((e) => e.status === 'held');
    return { run, results: v.expectations, ok, message: ok ? '' : explainFailures(v) };
  } catch (e) {
    // the caller's own abort wins when both happened; otherwise a timer that fired is a timeout
    if (e instanceof AbortError && timer.signal.aborted && !signal?.aborted) throw new TimeoutError(timeoutMessage(o, timeoutMs!, e.stopped), timeoutMs!, e.stopped);
    if (e instanceof AbortError) e.message = `expectMemory: ${e.message}`;
    throw e;
  } finally {
    if (handle) clearTimeout(handle);
  }
}
