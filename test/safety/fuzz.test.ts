// Property-based bad input for the addon, through the soak's "fuzz" area at a small scale (npm run soak
// runs it at 100,000 calls): random sizes from 0 to past 8 GiB, offsets, advice names, wrong types,
// moved and detached buffers, native threads and every method after unmap, in child processes so that
// a crash in native code is counted as a crash (a signal) instead of taking the test runner down.
import { describe, expect, it } from 'vitest';
import { fuzz } from '../../src/soak/fuzz.js';

describe('bad input to the addon (fast-check, in child processes)', () => {
  for (const seed of [1, 20261123]) {
    it(`6000 random calls never crash or hang a process; every error is documented (seed ${seed})`, async () => {
      const r = await fuzz({ scale: 0.06, seed, log: () => {} });
      console.info(r.line);
      const f = r.figures;
      expect(r.failures).toEqual([]);
      expect(f['crashes']).toBe(0);
      expect(f['hangs']).toBe(0);
      expect(f['undocumented']).toBe(0);
      expect(f['calls']).toBeGreaterThanOrEqual(6000);
      expect(r.ok).toBe(true);
      // it really exercised both sides: thousands of calls that worked and that were refused
      expect(f['ok']).toBeGreaterThan(1000);
      expect(f['error TypeError:ERR_INVALID_ARG_TYPE']).toBeGreaterThan(0);
      expect(f['error RangeError:ERR_OUT_OF_RANGE']).toBeGreaterThan(0);
      expect(f['error TypeError:ERR_INVALID_ARG_VALUE']).toBeGreaterThan(0);
      expect(f['error RsslabSystemError:ENOMEM']).toBeGreaterThan(0); // sizes no mmap can give
      // the dangerous paths were taken: regions past 4 GiB, buffers moved away, threads, use after unmap
      // refused with its own code, writes through views of unmapped regions landing in detached buffers
      expect(f['bigMaps']).toBeGreaterThan(0);
      expect(f['pastMaps']).toBeGreaterThan(0);
      expect(f['transfers']).toBeGreaterThan(0);
      expect(f['threads']).toBeGreaterThan(0);
      expect(f['threadsRefused']).toBeGreaterThan(0); // the second child runs under RLIMIT_NPROC=1
      expect(f['useAfterUnmap']).toBeGreaterThan(0);
      expect(f['error Error:ERR_RSSLAB_UNMAPPED']).toBeGreaterThan(0);
      expect(f['detachedWrites']).toBeGreaterThan(0);
    });
  }
});
