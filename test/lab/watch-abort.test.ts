// watch({ signal }) on real processes: a process rsslab only attached to (--pid) is left running when
// the watch is aborted — only one rsslab started is killed (test/expect-memory.test.ts) — and what is
// not an AbortSignal is refused before anything is watched.
import { describe, it, expect } from 'vitest';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { watch } from '../../src/lab/watch.js';
import { AbortError } from '../../src/lab/abort.js';

describe('watch - abort', () => {
  it('watch --pid - abort stops watching but leaves the process running; rejects with AbortError saying so', async () => {
    const sleeper = execa('sleep', ['30'], { reject: false });
    const pid = sleeper.pid!;
    try {
      const ac = new AbortController();
      const t0 = Date.now();
      let samples = 0;
      const watching = watch({
        pid,
        intervalMs: 20,
        signal: ac.signal,
        observer: (e) => {
          if (e.type === 'sample' && ++samples === 5) ac.abort();
        },
      });
      const err = (await watching.catch((e: unknown) => e)) as AbortError;
      expect(err).toBeInstanceOf(AbortError);
      expect(err.message).toMatch(new RegExp(`^watch aborted after \\d+ ms: stopped watching pid ${pid}$`));
      expect((err.cause as DOMException).name).toBe('AbortError'); // abort() without a reason
      expect(err.stopped).toMatchObject({ label: `pid ${pid}`, pid, killed: false, phases: ['watch'] });
      expect(err.stopped!.lastRssBytes!).toBeGreaterThan(0);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(existsSync(`/proc/${pid}`)).toBe(true);
    } finally {
      sleeper.kill('SIGKILL');
      await sleeper;
    }
  });

  it('watch - a signal that is not an AbortSignal is refused before anything is watched', async () => {
    await expect(watch({ command: ['/bin/true'], intervalMs: 20, signal: { aborted: false } as unknown as AbortSignal })).rejects.toThrow(/signal must be an AbortSignal/);
  });
});
