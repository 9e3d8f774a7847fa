// How a watch that was cancelled ends: Node's convention (fs, timers/promises, events.once) is an
// error named "AbortError" with code ABORT_ERR and the signal's reason as its cause, so code that
// already checks `err.name === 'AbortError'` treats rsslab's cancellations like Node's own.

/** What was running when a watch was cancelled, for messages that say what was stopped. */
export interface StoppedWatch {
  /** the command as started (or "pid N" for an attached process) */
  label: string;
  /** the child's pid (0 when nothing was started) */
  pid: number;
  /** whether rsslab killed it (a process it only attached to is left running) */
  killed: boolean;
  elapsedMs: number;
  /** the phases seen so far: "watch", then the command's own marks */
  phases: string[];
  /** the last RSS sampled, null before the first sample */
  lastRssBytes: number | null;
}

export class AbortError extends Error {
  override name = 'AbortError';
  readonly code = 'ABORT_ERR';
  constructor(
    message: string,
    readonly stopped: StoppedWatch | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The error for a signal that is (or was) aborted, before anything started. */
export function abortedBeforeStart(what: string, signal: AbortSignal): AbortError {
  return new AbortError(`${what}: aborted before it started`, null, { cause: signal.reason });
}
