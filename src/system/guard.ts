// Restore always. Node runs nothing asynchronous inside process.on('exit'), so the session's
// restore() is synchronous; signals and uncaught errors restore first, then end the process the way
// it would have ended without us (re-raising the signal, so the parent sees "killed by SIGTERM").
// Only SIGKILL escapes this — that is what the journal and `rsslab restore` are for.
import { constants } from 'node:os';

export interface Restorable {
  restore(): { ok: boolean };
}

export interface GuardOptions {
  /** where to say what happened; default stderr */
  write?: (line: string) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Hooks exit, SIGINT, SIGTERM, SIGHUP, uncaughtException and unhandledRejection; returns the uninstall function. */
export function installRestoreGuards(session: Restorable, options: GuardOptions = {}): () => void {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  let installed = true;

  const restoreQuietly = (why: string): void => {
    try {
      const report = session.restore();
      if (!report.ok) write(`rsslab: could not restore every system setting after ${why}; run \`rsslab restore\` as root`);
    } catch (error) {
      write(`rsslab: restoring system settings after ${why} failed: ${(error as Error).message}; run \`rsslab restore\` as root`);
    }
  };

  const onExit = (): void => restoreQuietly('exit');

  const onSignal = (signal: NodeJS.Signals): void => {
    restoreQuietly(signal);
    uninstall();
    // with our listener gone, the default action applies: the process dies of the signal (128+n to a shell)
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    else process.exit(128 + (constants.signals[signal] ?? 0));
  };

  const onFatal = (error: unknown, kind: string): void => {
    restoreQuietly(kind);
    write(`${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    uninstall();
    process.exit(1);
  };
  const onUncaught = (error: Error): void => onFatal(error, 'uncaughtException');
  const onRejection = (reason: unknown): void => onFatal(reason, 'unhandledRejection');

  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);

  function uninstall(): void {
    if (!installed) return;
    installed = false;
    process.off('exit', onExit);
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
  }
  return uninstall;
}
