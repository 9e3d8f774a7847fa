import { describe, it, expect } from 'vitest';
import { parseBytes, parseDurationMs, parseParamArgs, resolveParams } from '../../src/lab/params.js';
import { defineExperiment } from '../../src/lab/experiment.js';

const def = defineExperiment({
  id: 'p',
  title: 't',
  seed: null,
  summary: '',
  story: [],
  params: {
    regionBytes: { type: 'bytes', default: 256 * 2 ** 20, description: 'size', min: 4096 },
    idleMs: { type: 'ms', default: 1000, description: 'idle' },
    shape: { type: 'string', default: 'same', description: 'shape', choices: ['same', 'fresh'] },
    trim: { type: 'boolean', default: false, description: 'trim' },
  },
  quick: { regionBytes: 64 * 2 ** 20 },
  variants: [],
  headline: [],
  series: [],
  expectations: () => [],
  body: async () => {},
});

describe('params', () => {
  it('parseBytes - binary units', () => {
    expect(parseBytes('4096')).toBe(4096);
    expect(parseBytes('64KiB')).toBe(65536);
    expect(parseBytes('256MiB')).toBe(256 * 2 ** 20);
    expect(parseBytes('2g')).toBe(2 * 2 ** 30);
  });
  it('parseBytes - decimal units mean decimal: 300MB is 300,000,000 bytes, not 300 MiB', () => {
    expect(parseBytes('300MB')).toBe(300_000_000);
    expect(parseBytes('64kB')).toBe(64_000);
    expect(parseBytes('2GB')).toBe(2_000_000_000);
    expect(parseBytes('300MiB')).toBe(300 * 2 ** 20);
    expect(() => parseBytes('lots')).toThrow(/300MB \(decimal, 300,000,000 bytes\)/);
  });
  it('parseBytes - RangeError naming the accepted forms', () => {
    expect(() => parseBytes('lots')).toThrow(/256MiB/);
    expect(() => parseBytes('-5')).toThrow(RangeError);
    expect(() => parseBytes('5 parsecs')).toThrow(RangeError);
  });
  it('parseDurationMs - units', () => {
    expect(parseDurationMs('500')).toBe(500);
    expect(parseDurationMs('10s')).toBe(10_000);
    expect(parseDurationMs('2min')).toBe(120_000);
    expect(() => parseDurationMs('-5')).toThrow(RangeError);
  });
  it('parseParamArgs - key=value only', () => {
    expect(parseParamArgs(['a=1', 'b=x=y'])).toEqual({ a: '1', b: 'x=y' });
    expect(() => parseParamArgs(['novalue'])).toThrow(/key=value/);
  });
  it('resolveParams - defaults, quick profile, overrides coerced from strings', () => {
    expect(resolveParams(def, { quick: false, overrides: {} }).regionBytes).toBe(256 * 2 ** 20);
    expect(resolveParams(def, { quick: true, overrides: {} }).regionBytes).toBe(64 * 2 ** 20);
    const p = resolveParams(def, { quick: true, overrides: { regionBytes: '8MiB', idleMs: '2s', trim: 'yes', shape: 'fresh' } });
    expect(p).toEqual({ regionBytes: 8 * 2 ** 20, idleMs: 2000, trim: true, shape: 'fresh' });
  });
  it('resolveParams - unknown names, bad choices and limits name the fix', () => {
    expect(() => resolveParams(def, { quick: false, overrides: { regionbytes: '1' } })).toThrow(/regionBytes, idleMs, shape, trim/);
    expect(() => resolveParams(def, { quick: false, overrides: { shape: 'other' } })).toThrow(/same, fresh/);
    expect(() => resolveParams(def, { quick: false, overrides: { regionBytes: '100' } })).toThrow(/minimum 4096/);
    expect(() => resolveParams(def, { quick: false, overrides: { trim: 'maybe' } })).toThrow(/true or false/);
  });
});
