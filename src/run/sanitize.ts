// Strings from a Run file are data, not terminal commands. A Run may come from anywhere (a CI
// artefact, a colleague, a hostile local user) and rsslab prints its labels, titles, story, env and
// stderr tails: a raw ESC there can clear the screen, retitle the window or write the clipboard
// (OSC 52), and a C1 CSI (U+009B) does the same on terminals that honour 8-bit controls. Every string
// from a Run passes through here before it reaches a terminal; controls are shown, not obeyed.

// C0 controls but TAB and LF, DEL, C1 controls, the bidirectional overrides and isolates that reorder
// what a reader sees ("Trojan Source"), and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_OR_BREAK = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  if (code === 0x0a) return '⏎';
  if (code === 0x09) return ' ';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0').toUpperCase()}` : `\\u${code.toString(16).padStart(4, '0').toUpperCase()}`;
}

export interface TerminalTextOptions {
  /** keep line feeds (a multi-line block such as a story text); default false: one line */
  newlines?: boolean;
}

/** `s` with every control character written out visibly (ESC → "\x1B"), so nothing in it is obeyed. */
export function terminalText(s: string, opts: TerminalTextOptions = {}): string {
  return s.replace(opts.newlines ? UNSAFE : UNSAFE_OR_BREAK, visible);
}

/**
 * A copy of plain JSON data (a Run, a comparison) with every string and every object key made safe
 * for a terminal. Keys are copied as own data properties, so a key "__proto__" stays a key.
 */
export function terminalSafe<T>(data: T): T {
  return walk(data, false, 0) as T;
}

/** Fields whose line breaks the layout keeps (a child's stderr tail is shown line by line). */
const MULTILINE_KEYS = new Set(['stderrTail']);

/** A Run is a few levels deep; anything deeper is a field no renderer reads, and it is dropped. */
const MAX_DEPTH = 32;

function walk(v: unknown, newlines: boolean, depth: number): unknown {
  if (typeof v === 'string') return terminalText(v, { newlines });
  if (v === null || typeof v !== 'object') return v;
  if (depth > MAX_DEPTH) return null;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = walk(v[i], false, depth + 1);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    Object.defineProperty(out, terminalText(k), { value: walk((v as Record<string, unknown>)[k], MULTILINE_KEYS.has(k), depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
