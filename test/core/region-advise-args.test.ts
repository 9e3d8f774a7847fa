// advise()'s cheap hot path must still refuse any offset with rsslab's own errors: the soak's fuzz found
// a Symbol or BigInt offset (with no length) reaching `this.length - offset`, where the engine threw its
// own TypeError ("Cannot convert a Symbol value to a number") instead of rsslab's.
import { describe, expect, it } from 'vitest';
import { mapRegion } from '../../src/core/region.js';

describe('Region.advise - argument checks on the hot path', () => {
  for (const [name, offset] of [
    ['a Symbol', Symbol('x')],
    ['a BigInt', 4096n],
    ['a string', '4096'],
    ['a negative number', -4096],
  ] as const) {
    it(`advise - ${name} offset without a length is refused with rsslab's error code, before any syscall`, () => {
      const r = mapRegion(64 * 1024);
      try {
        let caught: unknown;
        try {
          r.advise('dontneed', { offset: offset as unknown as number });
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(Error);
        expect((caught as { code?: unknown }).code, String((caught as Error).message)).toMatch(/^ERR_/);
      } finally {
        r.unmap();
      }
    });
  }
});
