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
      ['rss@max < 300 parsecs', /neither a size/],
      ['rss@max < 1.2 * 3', /a number times a metric/],
      ['rss@max < 1 * 2 * rss@min', /a size \(300MiB\), a metric/],
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
});
