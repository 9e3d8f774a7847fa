// The terminal face of strings from a Run: controls are written out, never passed through.
import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalText } from '../../src/run/sanitize.js';
import { own } from '../../src/run/own.js';

describe('terminalText', () => {
  it('terminalText - ESC, BEL, C1 CSI, DEL and bidi overrides are shown as escapes', () => {
    expect(terminalText('a\u001b[2Jb')).toBe('a\\x1B[2Jb');
    expect(terminalText('\u001b]52;c;eA==\u0007')).toBe('\\x1B]52;c;eA==\\x07');
    expect(terminalText('\u009b31m\u007f')).toBe('\\x9B31m\\x7F');
    expect(terminalText('x\u202ey')).toBe('x\\u202Ey');
    expect(terminalText('é ✓ 日本')).toBe('é ✓ 日本');
  });
  it('terminalText - line breaks become ⏎ unless the layout keeps them', () => {
    expect(terminalText('a\nb\r')).toBe('a⏎b\\x0D');
    expect(terminalText('a\nb', { newlines: true })).toBe('a\nb');
  });
  it('terminalSafe - every string and key of plain data, "__proto__" kept as a key, the stderr tail keeps its lines', () => {
    const data = JSON.parse('{"__proto__": {"k\\u001b": "v\\u001b"}, "list": ["\\u0007"], "stderrTail": "a\\nb\\u001b", "n": 1}') as Record<string, unknown>;
    const safe = terminalSafe(data);
    expect(Object.getPrototypeOf(safe)).toBe(Object.prototype);
    expect(Object.hasOwn(safe, '__proto__')).toBe(true);
    expect(JSON.stringify(safe)).toBe('{"__proto__":{"k\\\\x1B":"v\\\\x1B"},"list":["\\\\x07"],"stderrTail":"a\\nb\\\\x1B","n":1}');
  });
  it('own - keys of Object.prototype are not found in a plain record', () => {
    const r: Record<string, number> = { a: 1 };
    expect(own(r, 'a')).toBe(1);
    expect(own(r, 'toString')).toBeUndefined();
    expect(own(r, '__proto__')).toBeUndefined();
    expect(own(r, 'constructor')).toBeUndefined();
  });
});
