// Use after munmap (issue 13, item 2): ArrayBuffer.prototype.transfer() moves the region's memory into
// a new buffer and detaches the one region.unmap() detaches; unmap() then munmapped memory the new
// buffer still pointed at, and a write through it was a SIGSEGV. Now a buffer that took the memory keeps
// the mapping alive: unmap() drops the handle's claim and the munmap happens when that buffer is collected.
// transfer() is on by default from Node 22; Node 20 has it behind --harmony-rab-gsab-transfer.
import { describe, expect, it } from 'vitest';
import { runNativeCase } from './native-child.js';

interface Transfer {
  detached: boolean;
  wrote: boolean;
  afterUnmap: number | null;
  mappedFlag: boolean;
  unmapAgain: string;
  roundsToUnmapped: number;
  finally: number | null;
}

const transferFlags = 'transfer' in ArrayBuffer.prototype ? [] : ['--harmony-rab-gsab-transfer'];

describe('a region buffer moved away before unmap() (in a child process)', () => {
  it('buffer.transfer(); unmap(); write through the moved buffer - no SIGSEGV, the mapping lives until that buffer is collected', async () => {
    const end = await runNativeCase<Transfer>(['transfer', 'transfer'], { nodeFlags: transferFlags });
    expect(end.signal, end.stderr).toBeNull();
    expect(end.exitCode, end.stderr).toBe(0);
    const r = end.out!;
    expect(r.detached).toBe(true); // transfer() really moved it
    expect(r.wrote).toBe(true);
    expect(r.afterUnmap).toBe(1 << 20); // still in /proc/self/maps: the moved buffer owns it
    expect(r.mappedFlag).toBe(false); // the handle let go
    expect(r.unmapAgain).toBe('ERR_RSSLAB_UNMAPPED');
    expect(r.roundsToUnmapped).toBeGreaterThan(0); // collected, then munmapped
    expect(r.finally).toBeNull();
  });

  it('structuredClone(buffer, { transfer: [buffer] }); unmap(); write - Node copies an external buffer, the region unmaps now', async () => {
    const end = await runNativeCase<Transfer>(['transfer', 'clone']);
    expect(end.signal, end.stderr).toBeNull();
    expect(end.exitCode, end.stderr).toBe(0);
    const r = end.out!;
    // Node marks external buffers untransferable and clones them: nothing was detached, nothing aliases
    expect(r.detached).toBe(false);
    expect(r.wrote).toBe(true);
    expect(r.afterUnmap).toBeNull();
    expect(r.mappedFlag).toBe(false);
  });
});
