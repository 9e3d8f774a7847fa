// Property-based bad input for the addon: random offsets, lengths, advice names, wrong types and use
// after unmap thrown at regions, random counts, sizes and indexes at block sets. It runs in a child
// process (test/fixtures/safety/fuzz-child.mjs) so that a crash in native code shows up as a crash
// (a signal, a non-zero exit) instead of taking the test runner down with it.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { join } from 'node:path';

const CHILD = join(import.meta.dirname, '../fixtures/safety/fuzz-child.mjs');

interface FuzzCounts {
  calls: number;
  ok: number;
  errors: Record<string, number>;
  undocumented: string[];
  useAfterUnmap: number;
  detachedWrites: number;
}

describe('bad input to the addon (fast-check, in a child process)', () => {
  for (const seed of [1, 20261123]) {
    it(`regions and block sets - 6000 random calls never crash the process; every error is documented (seed ${seed})`, async () => {
      const r = await execa(process.execPath, ['--expose-gc', CHILD, '6000', String(seed)], { reject: false });
      // a crash would be a signal (SIGSEGV, SIGABRT) or a non-zero exit
      expect(r.signal ?? null, r.stderr).toBeNull();
      expect(r.exitCode, r.stderr).toBe(0);
      const c = JSON.parse(r.stdout.trim().split('\n').pop()!) as FuzzCounts;
      console.info(`fuzz seed ${seed}: ${JSON.stringify(c)}`);
      expect(c.calls).toBe(6000);
      expect(c.undocumented).toEqual([]);
      // it really exercised both sides: thousands of calls that worked and that were refused
      expect(c.ok).toBeGreaterThan(1000);
      const thrown = Object.values(c.errors).reduce((a, b) => a + b, 0);
      expect(thrown).toBeGreaterThan(1000);
      expect(c.ok + thrown).toBe(c.calls);
      expect(c.errors['TypeError:ERR_INVALID_ARG_TYPE']).toBeGreaterThan(0);
      expect(c.errors['RangeError:ERR_OUT_OF_RANGE']).toBeGreaterThan(0);
      expect(c.errors['TypeError:ERR_INVALID_ARG_VALUE']).toBeGreaterThan(0);
      // use after unmap was attempted and refused with its own code; writes through views of
      // unmapped regions landed in detached (empty) buffers, not in freed memory
      expect(c.useAfterUnmap).toBeGreaterThan(0);
      expect(c.errors['Error:ERR_RSSLAB_UNMAPPED']).toBeGreaterThan(0);
      expect(c.detachedWrites).toBeGreaterThan(0);
    });
  }
});
