import { describe, it, expect, beforeAll } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMapFree } from '../helpers/map-free.js';
import { watch } from '../../src/lab/watch.js';
import { evaluateMetric } from '../../src/check/metric.js';

const MiB = 1 << 20;
// empty when there is no C compiler: those tests skip and say so
let bin = '';
beforeAll(async () => {
  bin = (await buildMapFree()) ?? '';
});

describe('watch (sampler from outside)', () => {
  it('watch - sees a C program’s RSS rise by 128 MiB and fall again', async (ctx) => {
    if (!bin) {
      console.warn('skipped: no C compiler (cc/gcc) to build the reproducer');
      ctx.skip();
    }
    const run = await watch({ command: [bin, '128', '800'], intervalMs: 10 });
    const v = run.variants[0]!;
    expect(v.status).toBe('ok');
    const first = v.samples[0]!.rssBytes;
    const peak = evaluateMetric(v, 'rss@max')!;
    const last = evaluateMetric(v, 'rss@last')!;
    expect(peak - first).toBeGreaterThan(120 * MiB);
    expect(peak - last).toBeGreaterThan(120 * MiB);
    // the tick that finds the process gone is counted but holds no sample
    expect(v.sampler!.count - v.samples.length).toBeGreaterThanOrEqual(0);
    expect(v.sampler!.count - v.samples.length).toBeLessThanOrEqual(1);
    expect(v.sampler!.achievedHz).toBeGreaterThan(5);
    expect(run.kind).toBe('watch');
  });

  it('watch --pid - attaches to a running process and follows it until it exits', async (ctx) => {
    if (!bin) {
      console.warn('skipped: no C compiler (cc/gcc) to build the reproducer');
      ctx.skip();
    }
    const proc = execa(bin, ['96', '700'], { reject: false });
    const run = await watch({ pid: proc.pid!, intervalMs: 10 });
    await proc;
    const v = run.variants[0]!;
    expect(v.status).toBe('ok');
    expect(v.label).toBe(`pid ${proc.pid}`);
    const peak = evaluateMetric(v, 'rss@max')!;
    expect(peak - v.samples[0]!.rssBytes).toBeGreaterThan(90 * MiB);
    expect(peak - evaluateMetric(v, 'rss@last')!).toBeGreaterThan(90 * MiB);
  });

  it('watch --pid - options that only apply to a started command are refused', async () => {
    await expect(watch({ pid: process.pid, thpDisable: true, intervalMs: 20 })).rejects.toThrow(/not to --pid/);
    await expect(watch({ pid: 2 ** 22 + 7, intervalMs: 20 })).rejects.toThrow(/no process with pid/);
  });

  it('watch --thp-disable - the command inherits PR_SET_THP_DISABLE across exec', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rsslab-watch-')), 'status');
    const run = await watch({ command: ['/bin/sh', '-c', `grep THP_enabled /proc/self/status > ${out}; sleep 0.2`], thpDisable: true, intervalMs: 20 });
    expect(run.variants[0]!.status).toBe('ok');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(out, 'utf8')).toMatch(/THP_enabled:\s+0/);
  });

  it('watch - a command that execs more than once (a pyenv-style shim: shell, then shell, then the program) is followed to its end, not killed', async (ctx) => {
    if (!bin) {
      console.warn('skipped: no C compiler (cc/gcc) to build the reproducer');
      ctx.skip();
    }
    // each exec gives the process a new mm, and /proc files opened before it read ESRCH: the probe
    // must open them again each time (it used to do so once, then took the shim's second exec for an
    // exit and SIGTERMed the program)
    const script = `sleep 0.15; exec /bin/sh -c 'sleep 0.15; exec ${bin} 64 400'`;
    const run = await watch({ command: ['/bin/sh', '-c', script], intervalMs: 10 });
    const v = run.variants[0]!;
    expect(v.failure?.reason).toBeUndefined();
    expect(v.status).toBe('ok');
    expect(v.durationMs).toBeGreaterThan(600);
    // the last program's 64 MiB was seen, and its free
    const peak = evaluateMetric(v, 'rss@max')!;
    expect(peak - v.samples[0]!.rssBytes).toBeGreaterThan(56 * MiB);
    expect(peak - evaluateMetric(v, 'rss@last')!).toBeGreaterThan(56 * MiB);
  });

  it('watch - a command that does not exist is a clear error, not a crash', async () => {
    await expect(watch({ command: ['/nonexistent/rsslab-no-such-binary'], intervalMs: 20 })).rejects.toThrow(/rsslab-no-such-binary/);
  });
});
