import { describe, it, expect } from 'vitest';
import { parseExpectation, parseExpectations, ExpectParseError } from '../../src/check/expect.js';

const MiB = 1 << 20;

describe('--expect grammar', () => {
  it('expect - factor times a metric, on either side', () => {
    expect(parseExpectation('rss@last <= 1.2 * rss@start:watch')).toEqual({ id: 'expect-1', text: 'rss@last <= 1.2 * rss@start:watch', left: 'rss@last', op: '<=', right: 'rss@start:watch', factor: 1.2 });
    expect(parseExpectation('rss@start:settled<=rss@end:load*0.5', 2)).toMatchObject({ id: 'expect-2', left: 'rss@start:settled', op: '<=', right: 'rss@end:load', factor: 0.5 });
  });
  it('expect - sizes in binary units, bare numbers as written', () => {
    expect(parseExpectation('rss@max < 300MiB').right).toBe(300 * MiB);
    expect(parseExpectation('rss@max < 1.5 GiB').right).toBe(1.5 * 1024 * MiB);
    expect(parseExpectation('metric.rssOverLive < 1.5').right).toBe(1.5);
    expect(parseExpectation('region.main.lazyFree@end:free >= rss@min').right).toBe('rss@min');
  });
  it('expect - every operator', () => {
    expect(parseExpectations(['rss@max < 1', 'rss@max <= 1', 'rss@max > 1', 'rss@max >= 1']).map((e) => e.op)).toEqual(['<', '<=', '>', '>=']);
  });
  it('expect - malformed texts are refused with the form that works', () => {
    for (const [text, msg] of [
      ['rss <= 100MiB', /"rss" is not a metric/],
      ['rss@sometime <= 1', /"@sometime": use first, last, max, min/],
      ['rss@later:free <= 1', /use start\|end\|max\|min\|mean\|delta:<phase>/],
      ['rss@max == 1', /expected <metric> <op> <value>/],
      ['rss@max < lots', /neither a size .* nor a metric/],
      ['rss@max < 300 parsecs', /"300 parsecs" is not a size: the units are B, KiB, MiB, GiB/],
      ['rss@max < 1.2 * 3', /a number times a metric/],
      ['rss@max < 1 * 2 * rss@min', /"1 \*" must be followed by a metric/],
      ['rss@max <', /expected <metric> <op> <value>/],
    ] as Array<[string, RegExp]>) {
      expect(() => parseExpectation(text), text).toThrow(ExpectParseError);
      expect(() => parseExpectation(text), text).toThrow(msg);
    }
  });
  it('expect - for watch, only series the sampler reads', () => {
    expect(() => parseExpectation('live@last < 1MiB', 1, { sampleSeriesOnly: true })).toThrow(/not a series the sampler reads/);
    expect(parseExpectation('region.heap.rss@max < 1MiB', 1, { sampleSeriesOnly: true }).left).toBe('region.heap.rss@max');
  });
  it('expect - absolute slack: one metric, its factor, plus or minus sizes summed into the offset', () => {
    expect(parseExpectation('rss@start:settled <= rss@start:load + 16MiB')).toEqual({ id: 'expect-1', text: 'rss@start:settled <= rss@start:load + 16MiB', left: 'rss@start:settled', op: '<=', right: 'rss@start:load', offset: 16 * MiB });
    expect(parseExpectation('rss@last <= 1.2 * rss@start:load - 4MiB + 512KiB')).toMatchObject({ right: 'rss@start:load', factor: 1.2, offset: -4 * MiB + 512 * 1024 });
    expect(parseExpectation('rss@max<rss@min+1MiB')).toMatchObject({ right: 'rss@min', offset: MiB });
    expect(parseExpectation('rss@end:warm-up <= rss@start:warm-up - 1GiB')).toMatchObject({ left: 'rss@end:warm-up', right: 'rss@start:warm-up', offset: -1024 * MiB });
    expect(parseExpectation('metric.rssOverLive < metric.base + 0.25')).toMatchObject({ right: 'metric.base', offset: 0.25 });
    // without a metric the sizes are summed into the number; a leading minus for deltas
    expect(parseExpectation('rss@max < 300MiB + 16MiB').right).toBe(316 * MiB);
    expect(parseExpectation('rss@delta:free <= -60MiB').right).toBe(-60 * MiB);
  });
  it('expect - errors name the bad token, point at it with carets and say what is allowed', () => {
    const message = (text: string): string => {
      try {
        parseExpectation(text);
      } catch (e) {
        expect(e).toBeInstanceOf(ExpectParseError);
        return (e as Error).message;
      }
      throw new Error(`${text} parsed`);
    };
    // the caret line sits under the token: same column as in the echoed text
    const caret = (msg: string): string => {
      const [, echoed, carets] = msg.split('\n');
      const at = carets!.indexOf('^');
      return echoed!.slice(at, at + carets!.trim().length);
    };
    for (const [text, msg, token] of [
      ['rss@max < rss@start:load + 16 parsecs', /"16 parsecs" is not a size: the units are B, KiB, MiB, GiB \(binary\) or kB, MB, GB \(decimal\)/, '16 parsecs'],
      ['rss@max < rss@start:load + 16', /"16" has no unit: rss@start:load is in bytes, so say which, e\.g\. 16MiB/, '16'],
      ['rss@max < rss@start:load-4MiB', /put spaces around "-" to subtract \(metric names may contain "-"\): rss@start:load - 4MiB/, 'rss@start:load-4MiB'],
      ['rss@max < rss@start:a + rss@start:b', /one metric per side: "rss@start:b" cannot be added to "rss@start:a"; give the slack as a size, e\.g\. rss@start:a \+ 16MiB/, 'rss@start:b'],
      ['rss@max < 16MiB - rss@start:load', /a metric cannot be subtracted: write it first, e\.g\. rss@start:load - 16MiB/, 'rss@start:load'],
      ['rss@max < 2MiB * rss@min', /a factor is a plain number, without a unit/, '2MiB'],
      ['rss@max < rss@min $ 3', /expected "\+" or "-" before "\$"/, '$'],
      ['rss@max < rss@whenever + 1MiB', /"@whenever": use first, last, max, min/, 'rss@whenever'],
      ['rss@sometime <= 1MiB', /"@sometime": use first, last, max, min/, 'rss@sometime'],
      ['metric.x < metric.y + 1MiB', /"1MiB" is a size, but metric\.y is not in bytes: add a plain number/, '1MiB'],
      ['rss@max < 300MiB + 5', /"5" has no unit, unlike "300MiB"/, '5'],
    ] as Array<[string, RegExp, string]>) {
      const msg2 = message(text);
      expect(msg2, text).toMatch(msg);
      expect(msg2.split('\n')[1], text).toBe(`    ${text}`);
      expect(caret(msg2), text).toBe(token);
    }
    expect(message('rss@max < rss@start:load +')).toMatch(/a value is missing at the end: use a size \(300MiB\), a metric .*plus or minus sizes \(rss@start:load \+ 16MiB\)/);
  });
});
