// Errors across the boundary: real failing syscalls become RsslabSystemError with code/errno/syscall;
// bad arguments become TypeError/RangeError before any syscall; nothing crashes the process.
import { execFileSync } from 'node:child_process';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { binding } from '../../src/core/binding.js';
import { isRsslabSystemError, isUnmapped, RsslabSystemError } from '../../src/core/errors.js';
import { features } from '../../src/core/features.js';
import { mapRegion, type Advice } from '../../src/core/region.js';

const page = features().pageSize;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('system errors from real syscalls', () => {
  it('mmap ENOMEM - an absurd length gives RsslabSystemError with code, errno, syscall', () => {
    const err = caught(() => mapRegion(2 ** 50));
    expect(err).toBeInstanceOf(RsslabSystemError);
    expect(isRsslabSystemError(err, 'ENOMEM')).toBe(true);
    const e = err as RsslabSystemError;
    expect(e.name).toBe('SystemError');
    expect(e.errno).toBe(constants.errno.ENOMEM);
    expect(e.syscall).toBe('mmap');
    expect(e.message).toMatch(/^ENOMEM: Cannot allocate memory, mmap\(NULL, 1125899906842624, /);
  });

  it.skipIf(!features().madvCollapse)('madvise EINVAL - collapse on a MADV_NOHUGEPAGE range names the call and its arguments', () => {
    const r = mapRegion(2 * features().hugePageSize, { alignHuge: true });
    try {
      r.touch();
      r.advise('nohugepage');
      const e = caught(() => r.advise('collapse')) as RsslabSystemError;
      expect(e).toBeInstanceOf(RsslabSystemError);
      expect(e.code).toBe('EINVAL');
      expect(e.errno).toBe(constants.errno.EINVAL);
      expect(e.syscall).toBe('madvise');
      expect(e.message).toBe(`EINVAL: Invalid argument, madvise(0x${r.addressHex}, ${r.length}, MADV_COLLAPSE)`);
      expect(r.mapped).toBe(true); // the region is still usable
      expect(r.residency().residentPages).toBe(r.length / page);
    } finally {
      r.unmap();
    }
  });

  it('without setErrorClass - the raw addon still throws an Error carrying code, errno, syscall', () => {
    // a fresh process that never registered the class (src/core/binding.ts does it in this one)
    // the addon the package loads: a local build, else the prebuilt one (node-gyp-build decides)
    const script = `const b = require(require('node-gyp-build').resolve(${JSON.stringify(process.cwd())}));
      try { new b.Region(2 ** 50, false) } catch (e) { console.log(JSON.stringify({ ctor: e.constructor.name, code: e.code, errno: e.errno, syscall: e.syscall, message: e.message })) }`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(out).toMatchObject({ ctor: 'Error', code: 'ENOMEM', errno: constants.errno.ENOMEM, syscall: 'mmap' });
  });
});

describe('bad input from JS - typed errors before any syscall', () => {
  it('mapRegion - TypeError for non-numbers, RangeError for NaN, 1.5, 0, negative', () => {
    const typeErrors: unknown[] = ['64', undefined, null, 1n, {}];
    for (const v of typeErrors) {
      expect(() => mapRegion(v as number), String(v)).toThrow(TypeError);
    }
    for (const v of [Number.NaN, 1.5, 0, -1, Number.POSITIVE_INFINITY]) {
      expect(() => mapRegion(v), String(v)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('lengthBytes') }));
    }
    expect(() => mapRegion(page, null as unknown as object)).toThrow(TypeError);
    expect(() => mapRegion(page, { alignHuge: 'yes' as unknown as boolean })).toThrow(/options.alignHuge must be a boolean/);
    expect(() => mapRegion(page, { name: 'a[b]' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('region methods - RangeError past the end, on NaN/1.5/negative, for a touch value above 255', () => {
    const r = mapRegion(4 * page);
    try {
      expect(() => r.touch({ offset: 4 * page + 1 })).toThrow(RangeError);
      expect(() => r.touch({ offset: page, length: 4 * page })).toThrow(/past the end of the region \(16384 bytes\)/);
      expect(() => r.checksum({ length: Number.NaN })).toThrow(RangeError);
      expect(() => r.residency({ offset: 1.5 })).toThrow(RangeError);
      expect(() => r.residency({ offset: -page })).toThrow(RangeError);
      expect(() => r.touch({ value: 256 })).toThrow(/options.value must be >= 0 and <= 255/);
      expect(() => r.touch({ offset: '0' as unknown as number })).toThrow(TypeError);
      expect(r.residency().residentPages).toBe(0); // nothing reached the memory
    } finally {
      r.unmap();
    }
  });

  it('advise - RangeError on an unaligned offset (madvise would answer EINVAL)', () => {
    const r = mapRegion(4 * page);
    try {
      expect(() => r.advise('dontneed', { offset: 100, length: page })).toThrow(
        expect.objectContaining({ name: 'RangeError', message: expect.stringContaining('not a multiple of the page size') }),
      );
    } finally {
      r.unmap();
    }
  });

  it("advise - TypeError for the unknown advice 'dontneeed', listing the valid names", () => {
    const r = mapRegion(page);
    try {
      const e = caught(() => r.advise('dontneeed' as Advice)) as TypeError & { code: string };
      expect(e).toBeInstanceOf(TypeError);
      expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(e.message).toContain("'dontneeed'");
      expect(e.message).toContain("'dontneed', 'free', 'hugepage'");
    } finally {
      r.unmap();
    }
  });

  it('native guards - the raw addon refuses the same inputs with typed errors, and the process survives', () => {
    const R = binding().Region as unknown as new (...args: unknown[]) => Record<string, (...a: unknown[]) => unknown>;
    expect(() => new R(-1, false)).toThrow(RangeError);
    expect(() => new R('x', false)).toThrow(TypeError);
    expect(() => new R(page)).toThrow(/alignHuge.*boolean/);
    expect(() => new R(2 ** 60, false)).toThrow(RangeError);
    expect(() => (R as unknown as (l: number, a: boolean) => unknown)(page, false)).toThrow(TypeError);
    const r = new R(2 * page, false);
    expect(() => r['touch']!(Number.NaN, 1, 1)).toThrow(RangeError);
    expect(() => r['touch']!(2 ** 53, 1, 1)).toThrow(RangeError);
    expect(() => r['touch']!(0, page, 1000)).toThrow(RangeError);
    expect(() => r['residency']!(0, 2 ** 52)).toThrow(/past the end/);
    expect(() => r['advise']!(0, page, 'bogus')).toThrow(TypeError);
    expect(() => r['advise']!(1, page, 'free')).toThrow(RangeError);
    expect(() => r['advise']!(0, page, 99)).toThrow(TypeError); // codes index adviceNames: 7 is 'willneed'
    expect(() => r['advise']!(0, page, 0.5)).toThrow(TypeError);
    expect(() => r['adviseStrided']!(0, page, page, 3, 0)).toThrow(RangeError);
    expect(() => r['adviseStrided']!(0, page, 100, 2, 0)).toThrow(RangeError);
    expect(() => r['adviseRanges']!([0, page], 0)).toThrow(TypeError);
    expect(() => r['adviseRanges']!(new Float64Array([0, 3 * page]), 0)).toThrow(RangeError);
    expect(() => r['setName']!(5)).toThrow(TypeError);
    expect(() => (R.prototype as Record<string, (...a: unknown[]) => unknown>)['touch']!.call({}, 0, 1, 1)).toThrow(TypeError);
    r['unmap']!();
    expect(() => r['checksum']!(0, 1)).toThrow(expect.objectContaining({ code: 'ERR_RSSLAB_UNMAPPED' }));
    expect(isUnmapped(caught(() => r['unmap']!()))).toBe(true);
  });
});
