// Progress while experiments run. On a terminal: one ora spinner for the variant being measured
// (variants run one child at a time), showing its phase, elapsed time and current RSS, turned
// into a ✓/✗ line when it ends. In CI or a pipe: plain lines only — no spinner control codes in a
// log file — one per phase mark, variant end, skip and notice.
// Colour follows useColor (NO_COLOR, FORCE_COLOR): ora colours its frame with chalk, whose
// supports-color ignores NO_COLOR, and its ✔/✖ with log-symbols, so both are decided here instead.
import ora, { type Ora } from 'ora';
import { useColor } from './color.js';
import type { RunEvent, RunObserver } from '../lab/events.js';
import { countExpectations, formatCounts } from './summary.js';
import { formatBytes, formatMs } from './units.js';

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** live spinner; default: the stream is a TTY and CI is not "true" */
  interactive?: boolean;
  /** colour in the live display; default useColor(stream): off under NO_COLOR */
  color?: boolean;
}

export function defaultInteractive(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.CI !== 'true';
}

interface Current {
  key: string;
  phase: string;
  tMs: number;
  rssBytes: number;
}

function endLine(event: Extract<RunEvent, { type: 'variant-end' }>): { ok: boolean; text: string } {
  const r = event.result;
  const key = `${event.experimentId}/${r.variant}${r.subject?.kind === 'real' ? ` (real ${r.subject.counterpart})` : ''}`;
  const last = r.samples[r.samples.length - 1];
  const rss = last ? `, RSS ${formatBytes(last.rssBytes)} at the end` : '';
  const counts = formatCounts(countExpectations(r.expectations));
  if (r.status === 'ok') return { ok: true, text: `${key}: done in ${formatMs(r.durationMs)}${rss}, expectations ${counts}` };
  const why = r.failure?.reason ?? r.status;
  return { ok: false, text: `${key}: ${r.status} after ${formatMs(r.durationMs)} — ${why}` };
}

/** A RunObserver that can also be closed: stops a spinner left running by a run that threw. */
export type Progress = RunObserver & { close(): void };

export function createProgress(opts: ProgressOptions): Progress {
  // ora moves the cursor with the stream's tty methods: a stream without them gets plain lines
  const canSpin = typeof (opts.stream as { cursorTo?: unknown }).cursorTo === 'function';
  const interactive = (opts.interactive ?? defaultInteractive(opts.stream)) && canSpin;
  const color = opts.color ?? useColor(opts.stream);
  const symbol = (ok: boolean): string => (color ? (ok ? '\u001b[32m✔\u001b[39m' : '\u001b[31m✖\u001b[39m') : ok ? '✔' : '✖');
  const write = (line: string): void => {
    opts.stream.write(line + '\n');
  };
  let spinner: Ora | null = null;
  let current: Current | null = null;

  const spinnerText = (c: Current): string => `${c.key}: ${c.phase || 'starting'} · ${formatMs(c.tMs)} · RSS ${formatBytes(c.rssBytes)}`;
  const refresh = (): void => {
    if (spinner && current) spinner.text = spinnerText(current);
  };
  // A line printed while the spinner spins: clear it, print, draw it again below.
  const printLine = (line: string): void => {
    if (spinner?.isSpinning) {
      spinner.clear();
      write(line);
      spinner.render();
    } else write(line);
  };

  const observer = (event: RunEvent): void => {
    switch (event.type) {
      case 'experiment-start':
        printLine(`${event.experimentId} — ${event.title}: ${event.variants.length} variant(s)${event.repeat > 1 ? ` × ${event.repeat} repeats` : ''}`);
        break;
      case 'variant-start': {
        const key = `${event.experimentId}/${event.variant}`;
        current = { key, phase: '', tMs: 0, rssBytes: 0 };
        if (interactive) {
          spinner?.stop();
          // discardStdin off: the runner may ask for consent on stdin while we spin
          spinner = ora({ stream: opts.stream, discardStdin: false, hideCursor: true, isEnabled: true, color: color ? 'cyan' : false }).start(`${key}: starting`);
        } else write(`${key}: started${event.repeat > 0 ? ` (repeat ${event.repeat + 1})` : ''}`);
        break;
      }
      case 'phase':
        if (current) Object.assign(current, { phase: event.phase, tMs: event.tMs, rssBytes: event.rssBytes });
        // a phase change is drawn at once; samples wait for the spinner's next frame
        if (interactive) {
          refresh();
          spinner?.render();
        } else write(`${event.experimentId}/${event.variant}: phase ${event.phase} at ${formatMs(event.tMs)}, RSS ${formatBytes(event.rssBytes)}`);
        break;
      case 'sample':
        // samples arrive every few ms: only the live display shows them
        if (current) Object.assign(current, { tMs: event.tMs, rssBytes: event.rssBytes });
        if (interactive) refresh();
        break;
      case 'variant-end': {
        const { ok, text } = endLine(event);
        if (interactive && spinner) {
          spinner.stopAndPersist({ symbol: symbol(ok), text });
          spinner = null;
        } else write(`${ok ? '✓' : '✗'} ${text}`);
        current = null;
        break;
      }
      case 'variant-skipped':
        printLine(`– ${event.experimentId}/${event.variant}: skipped — ${event.reason}`);
        break;
      case 'notice':
        // ⚙ the machine changed (or was put back); ! worth knowing; indented: the child's own log
        printLine(`${event.level === 'system' ? '⚙' : event.level === 'info' ? ' ' : '!'} ${event.message}`);
        break;
      case 'experiment-end':
        spinner?.stop();
        spinner = null;
        printLine(`${event.run.experiment.id}: finished in ${formatMs(event.run.durationMs)}`);
        break;
    }
  };
  return Object.assign(observer, {
    close(): void {
      spinner?.stop();
      spinner = null;
    },
  });
}
