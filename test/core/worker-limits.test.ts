// A NativeThread whose pthread_create fails (issue 13, item 3): the half-built worker's destructor
// waited for a thread that was never created, so `new NativeThread()` never returned. The child runs
// as nobody (RLIMIT_NPROC does not apply to root) with RLIMIT_NPROC 1 and must get EAGAIN at once.
import { describe, expect, it } from 'vitest';
import { runNativeCase } from './native-child.js';

describe('NativeThread when the kernel refuses a thread (in a child process)', () => {
  it('new NativeThread() under RLIMIT_NPROC=1 - throws EAGAIN from pthread_create within the timeout, no hang', async () => {
    const end = await runNativeCase<{ err: { name: string; code: string; syscall: string; message: string } | null }>(['thread-limit'], { timeoutMs: 20_000 });
    expect(end.timedOut, 'new NativeThread() hung').toBe(false);
    expect(end.signal, end.stderr).toBeNull();
    expect(end.exitCode, end.stderr).toBe(0);
    expect(end.out?.err).toMatchObject({ code: 'EAGAIN', syscall: 'pthread_create' });
    expect(end.out?.err?.message).toMatch(/^EAGAIN/);
  });

  it('new NativeThread() with RLIMIT_AS just above VmSize (no room for its stack; binds root too) - EAGAIN, no hang', async () => {
    const end = await runNativeCase<{ err: { code: string; syscall: string } | null }>(['thread-as'], { timeoutMs: 20_000 });
    expect(end.timedOut, 'new NativeThread() hung').toBe(false);
    expect(end.signal, end.stderr).toBeNull();
    expect(end.out?.err).toMatchObject({ code: 'EAGAIN', syscall: 'pthread_create' });
  });
});
