// expectMemory() on real children (test/fixtures/ci/phases.c: "phase load", touch N MiB, "phase free",
// munmap or keep, idle): absolute slack judged on what the parent sampled, the failure message built
// from those samples, cwd, cancellation through an AbortSignal and timeoutMs — the child really killed.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expectMemory, TimeoutError } from '../src/expect-memory.js';
import { AbortError } from '../src/lab/abort.js';
import { formatBytes } from '../src/quantities.js';

const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'rsslab-expect-memory-'));
const bin = join(dir, 'phases');
let skip: string | null = null;
const quiet = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
const MARKS = '^phase (\\w+)';
const SLACK = 'rss@start:settled <= rss@start:load + 16MiB';

beforeAll(async () => {
  const cc = await execa('cc', ['-O2', '-Wall', '-o', bin, join(import.meta.dirname, 'fixtures/ci/phases.c')], { reject: false });
  if (cc.exitCode !== 0) skip = `no C compiler to build the fixture (cc: ${cc.stderr || cc.message})`;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);

describe('expectMemory - absolute slack and the failure message (real program)', () => {
  it('expectMemory - absolute slack: held when 64 MiB are unmapped, failed when kept; the message shows expected vs measured, the phase and the series', async (ctx) => {
    if (skip) ctx.skip();
    const returned = await expectMemory({ command: [bin, '64', 'unmap', '1000'], expect: [SLACK], markOnStdout: MARKS, settleMs: 400, stdoutTo: quiet() });
    expect(returned.ok, returned.message).toBe(true);
    expect(returned.message).toBe('');
    const r = returned.results[0]!;
    expect(r).toMatchObject({ right: 'rss@start:load', offset: 16 * MiB, status: 'held' });
    expect(r.rightValue! - r.leftValue!).toBeGreaterThan(10 * MiB); // settled back near where it started, 16 MiB of slack to spare

    const kept = await expectMemory({ command: [bin, '64', 'keep', '1000'], expect: [SLACK, 'rss@max:load >= 64MiB'], markOnStdout: MARKS, settleMs: 400, stdoutTo: quiet() });
    expect(kept.ok).toBe(false);
    const [k, peak] = kept.results;
    expect(k!.status).toBe('failed');
    expect(peak!.status).toBe('held');
    expect(k!.leftValue! - k!.rightValue!).toBeGreaterThan(40 * MiB); // 64 MiB kept, 16 MiB allowed
    const m = kept.message;
    expect(m).toContain(`memory expectation failed: ${SLACK}`);
    expect(m).toContain(`  expected  rss@start:settled <= rss@start:load (${formatBytes(k!.rightValue! - 16 * MiB)}) + 16.0 MiB = ${formatBytes(k!.rightValue!)}`);
    expect(m).toContain(`  measured  rss@start:settled = ${formatBytes(k!.leftValue!)}, ${formatBytes(k!.leftValue! - k!.rightValue!)} over the limit`);
    expect(m).toMatch(/ {2}phase {5}settled \(from \d+\.\d{3} s: 400 ms after free\)/);
    // the series rows: the focused sample is the settled boundary, its value the measured one
    const focused = m.split('\n').find((l) => l.startsWith('    ▸'))!;
    expect(focused).toMatch(/settled/);
    expect(Number(focused.trim().split(/\s+/).pop())).toBeCloseTo(k!.leftValue! / MiB, 1);
    expect(m).not.toContain('rss@max:load'); // only what failed
  }, 30_000);

  it('expectMemory - a phase that never came: the message says no data and lists the phases seen', async (ctx) => {
    if (skip) ctx.skip();
    const res = await expectMemory({ command: [bin, '8', 'unmap', '300'], expect: ['rss@start:never <= rss@start:load + 1MiB'], markOnStdout: MARKS, stdoutTo: quiet() });
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/no data for rss@start:never/);
    expect(res.message).toMatch(/phases seen: watch at 0\.\d{3} s, load at 0\.\d{3} s, free at 0\.\d{3} s, end at \d\.\d{3} s$/);
  }, 30_000);
});

describe('expectMemory - cwd, signal, timeoutMs (real program)', () => {
  it('cwd - the command runs there: a relative path resolves in it and the program sees it as its cwd', async (ctx) => {
    if (skip) ctx.skip();
    const script = "console.log('phase ' + require('node:path').basename(process.cwd())); setTimeout(() => {}, 300)";
    const here = join(dir, 'insidecwd');
    mkdirSync(here);
    const res = await expectMemory({ command: [process.execPath, '-e', script], cwd: here, expect: ['rss@max < 1GiB'], markOnStdout: MARKS, stdoutTo: quiet() });
    expect(res.ok, res.message).toBe(true);
    expect(res.run.variants[0]!.marks.map((m) => m.phase)).toEqual(['watch', 'insidecwd', 'end']);
    const rel = await expectMemory({ command: ['./phases', '4', 'unmap', '200'], cwd: dir, expect: ['rss@max:load >= 4MiB'], markOnStdout: MARKS, stdoutTo: quiet() });
    expect(rel.ok, rel.message).toBe(true);
    await expect(expectMemory({ command: [bin], cwd: join(dir, 'nowhere'), expect: ['rss@max < 1GiB'] })).rejects.toThrow(/cwd .*nowhere is not a directory/);
  }, 30_000);

  it('signal - abort kills the child, removes rsslab\'s listeners and rejects with AbortError carrying the reason', async (ctx) => {
    if (skip) ctx.skip();
    const sigint = process.listenerCount('SIGINT');
    const ac = new AbortController();
    const t0 = Date.now();
    // abort once the program reports it has loaded: it would idle for a minute otherwise
    const run = expectMemory({
      command: [bin, '16', 'keep', '60000'],
      expect: [SLACK],
      markOnStdout: MARKS,
      stdoutTo: quiet(),
      signal: ac.signal,
      observer: (e) => {
        if (e.type === 'phase' && e.phase === 'free') ac.abort(new Error('test cancelled'));
      },
    });
    const err = (await run.catch((e: unknown) => e)) as AbortError;
    expect(err).toBeInstanceOf(AbortError);
    expect(err.name).toBe('AbortError');
    expect(err.code).toBe('ABORT_ERR');
    expect((err.cause as Error).message).toBe('test cancelled');
    expect(err.message).toMatch(new RegExp(`^expectMemory: watch aborted after \\d+ ms: killed ${bin} 16 keep 60000 \\(pid \\d+\\)`));
    expect(err.stopped!.killed).toBe(true);
    expect(err.stopped!.phases).toEqual(['watch', 'load', 'free']);
    expect(err.stopped!.lastRssBytes!).toBeGreaterThan(15 * MiB);
    expect(alive(err.stopped!.pid)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(process.listenerCount('SIGINT')).toBe(sigint);
  }, 30_000);

  it('signal - already aborted: rejects before anything starts', async (ctx) => {
    if (skip) ctx.skip();
    const marker = join(dir, 'started');
    const err = await expectMemory({ command: ['/bin/touch', marker], expect: ['rss@max < 1GiB'], signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).message).toMatch(/aborted before it started/);
    expect(existsSync(marker)).toBe(false);
  });

  it('timeoutMs - a program that outlives it is killed; TimeoutError names the command, its pid, the phase and the last RSS', async (ctx) => {
    if (skip) ctx.skip();
    const t0 = Date.now();
    const err = (await expectMemory({ command: [bin, '24', 'keep', '60000'], expect: [SLACK], markOnStdout: MARKS, stdoutTo: quiet(), timeoutMs: 1500 }).catch((e: unknown) => e)) as TimeoutError;
    const took = Date.now() - t0;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.name).toBe('TimeoutError');
    expect(err.timeoutMs).toBe(1500);
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(10_000);
    const s = err.stopped!;
    expect(alive(s.pid)).toBe(false);
    expect(s.phases).toEqual(['watch', 'load', 'free']);
    expect(s.lastRssBytes!).toBeGreaterThan(23 * MiB);
    expect(err.message).toBe(
      `expectMemory: ${bin} 24 keep 60000 (pid ${s.pid}) was still running after timeoutMs 1500 ms, in phase "free" (phases seen: watch, load, free), last RSS ${formatBytes(s.lastRssBytes!)}; it was killed. Make the program exit after its idle time, or raise timeoutMs.`,
    );
  }, 30_000);

  it('timeoutMs - a program that ends in time is judged as usual; a bad timeoutMs is refused before starting', async (ctx) => {
    if (skip) ctx.skip();
    const res = await expectMemory({ command: [bin, '8', 'unmap', '200'], expect: ['rss@max:load >= 8MiB'], markOnStdout: MARKS, stdoutTo: quiet(), timeoutMs: 20_000 });
    expect(res.ok, res.message).toBe(true);
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(expectMemory({ command: [bin], expect: ['rss@max < 1GiB'], timeoutMs: bad }), String(bad)).rejects.toThrow(/timeoutMs must be a positive number of milliseconds/);
    }
  }, 30_000);
});
