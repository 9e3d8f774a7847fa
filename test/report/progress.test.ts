import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/lab/events.js';
import { createProgress, defaultInteractive } from '../../src/report/progress.js';
import { CHILD_MISSING, quickMadvFreeRun } from './real-run.js';

type Sink = NodeJS.WritableStream & { text: string; isTTY: boolean };

/** A stream that records what is written; as a TTY it has the cursor methods ora uses, writing their codes. */
function sink(isTTY = false): Sink {
  const s: Record<string, unknown> & { text: string } = {
    text: '',
    isTTY,
    columns: 120,
    write(chunk: string | Uint8Array) {
      s.text += String(chunk);
      return true;
    },
    on: () => s,
    once: () => s,
    off: () => s,
    removeListener: () => s,
    emit: () => true,
  };
  if (isTTY) {
    s.cursorTo = (x: number) => ((s.text += `\u001b[${x + 1}G`), true);
    s.clearLine = () => ((s.text += '\u001b[2K'), true);
    s.moveCursor = (_dx: number, dy: number) => ((s.text += dy < 0 ? `\u001b[${-dy}A` : ''), true);
  }
  return s as unknown as Sink;
}

if (CHILD_MISSING) console.warn(`progress tests skipped: ${CHILD_MISSING}`);

describe.skipIf(CHILD_MISSING !== null)('progress on a real madv-free run', () => {
  it('progress - plain lines in CI or a pipe: phases with time and RSS, no control codes', async () => {
    const events: RunEvent[] = [];
    const out = sink(false);
    const progress = createProgress({ stream: out, interactive: false });
    const run = await quickMadvFreeRun((e) => {
      events.push(e);
      progress(e);
    });
    progress.close();
    expect(out.text).not.toContain('\u001b');
    const lines = out.text.trim().split('\n');
    expect(lines[0]).toMatch(/^madv-free — .*: 2 variant\(s\)$/);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^madv-free\/free: phase free at [\d.]+ (ms|s), RSS [\d.]+ MiB$/)]));
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^✓ madv-free\/dontneed: done in .*expectations \d+ ✓/)]));
    // one line per phase mark of each variant, not one per sample
    const phaseLines = lines.filter((l) => l.includes(': phase '));
    expect(phaseLines.length).toBe(run.variants.reduce((n, v) => n + v.marks.length, 0));

    // the same real events on a terminal: a spinner showing phase and RSS, a ✔ line per variant
    const tty = sink(true);
    const live = createProgress({ stream: tty, interactive: true });
    for (const e of events) live(e);
    live.close();
    expect(tty.text).toContain('\u001b[');
    expect(tty.text).toMatch(/madv-free\/free: \w+ · [\d.]+ (ms|s) · RSS [\d.]+ MiB/);
    expect(tty.text).toMatch(/✔(\u001b\[39m)? madv-free\/free: done in/);
 
    // NO_COLOR on a terminal: the spinner still moves the cursor, but no colour code is written
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      const plain = sink(true);
      const quiet = createProgress({ stream: plain, interactive: true });
      for (const e of events) quiet(e);
      quiet.close();
      expect(plain.text).toContain('\u001b[2K');
      expect(plain.text).toMatch(/madv-free\/free: \w+ · [\d.]+ (ms|s) · RSS [\d.]+ MiB/);
      expect(plain.text).toMatch(/✔ madv-free\/free: done in/);
      expect(plain.text).not.toMatch(/\u001b\[[\d;]*m/);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
    // colour on (a terminal, or FORCE_COLOR without NO_COLOR): the ✔ is green
    const forced = sink(true);
    const coloured = createProgress({ stream: forced, interactive: true, color: true });
    for (const e of events) coloured(e);
    coloured.close();
    expect(forced.text).toMatch(/\u001b\[32m✔\u001b\[39m madv-free\/free: done in/);
  });

  it('defaultInteractive - a TTY unless CI=true', () => {
    expect(defaultInteractive({ isTTY: true }, {})).toBe(true);
    expect(defaultInteractive({ isTTY: true }, { CI: 'true' })).toBe(false);
    expect(defaultInteractive({ isTTY: false }, {})).toBe(false);
  });
});
