// Regions past 4 GiB (issue 13, item 1): Node 20 refuses an external ArrayBuffer above
// buffer.constants.MAX_LENGTH (4 GiB) and runs the finalizer it was given before returning the failure;
// node-addon-api and region.cc then freed the same finalizer data again ("double free detected in
// tcache 2", SIGABRT). Now such a region has no buffer (a RangeError says to use its methods) and
// everything else works. The mappings are never touched beyond a few pages: no real memory is needed.
import { constants } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { runNativeCase } from './native-child.js';

const GiB = 1024 ** 3;

interface Big {
  length: number;
  inMaps: number | null;
  bufferError: { name: string; code: string; message: string } | null;
  resident: number;
  sum: number;
  sumAfter: number;
  mapped: boolean;
  afterUnmap: number | null;
  mapMs: number;
  unmapMs: number;
}

describe('regions larger than an ArrayBuffer may be (in a child process)', () => {
  for (const bytes of [4 * GiB + 4096, 5 * GiB, 8 * GiB]) {
    it(`mapRegion(${bytes}) - maps, works through its methods past 4 GiB, unmaps; no abort`, async () => {
      const end = await runNativeCase<Big>(['big', String(bytes)]);
      expect(end.signal, end.stderr).toBeNull();
      expect(end.exitCode, end.stderr).toBe(0);
      const r = end.out!;
      console.info(`${bytes} bytes: map ${r.mapMs.toFixed(2)} ms, unmap ${r.unmapMs.toFixed(2)} ms`);
      expect(r.length).toBe(bytes);
      expect(r.inMaps).toBe(bytes); // the kernel holds the whole mapping
      expect(r.resident).toBe(2); // the two pages touched at the far end, past 4 GiB
      expect(r.sum).toBe(14);
      expect(r.sumAfter).toBe(0); // MADV_DONTNEED: zero-fill on the next read
      expect(r.mapped).toBe(false);
      expect(r.afterUnmap).toBeNull();
      if (bytes > constants.MAX_LENGTH) {
        expect(r.bufferError).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
        expect(r.bufferError?.message).toMatch(/touch|checksum|residency|advise/);
      } else {
        expect(r.bufferError).toBeNull();
      }
    });
  }
});
