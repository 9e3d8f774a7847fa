// `rsslab watch --expect … --mark-on-stdout … --settle …` and expectMemory(), on the real kernel: a C
// program (test/fixtures/ci/phases.c) prints "phase load", touches 64 MiB, prints "phase free", then
// returns the memory (munmap) or keeps it, and idles. The expectations are judged on what the parent
// sampled from outside, stored in the Run, and decide the exit code.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Run } from '../../src/run/schema.js';
import { formatBytes } from '../../src/quantities.js';
import { evaluateMetric } from '../../src/check/metric.js';
import { rejudge } from '../../src/check/expectations.js';
import { expectMemory } from '../../src/expect-memory.js';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const rsslab = (args: string[]) => execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true' } });
const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'rsslab-watch-expect-'));
const bin = join(dir, 'phases');
let skip: string | null = existsSync(CLI) ? null : `${CLI} is missing: run \`npm run build\` first`;

beforeAll(async () => {
  if (skip) return;
  const cc = await execa('cc', ['-O2', '-Wall', '-o', bin, join(import.meta.dirname, '../fixtures/ci/phases.c')], { reject: false });
  if (cc.exitCode !== 0) skip = `no C compiler to build the fixture (cc: ${cc.stderr || cc.message})`;
  if (skip) console.warn(`watch --expect tests skipped: ${skip}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MARKS = ['--mark-on-stdout', '^phase (\\w+)'];
const RETURNED = 'rss@start:settled <= 1.2 * rss@start:load';

function lastRun(out: string): Run {
  const file = readdirSync(out).filter((f) => f.endsWith('.json')).sort().pop()!;
  return JSON.parse(readFileSync(join(out, file), 'utf8')) as Run;
}

describe('rsslab watch --expect (real program, sampled from outside)', () => {
  it('watch --expect - memory returned after the free: exit 0, marks from stdout, expectations stored with values', async (ctx) => {
    if (skip) ctx.skip();
    const out = join(dir, 'returned');
    const r = await rsslab(['watch', '--out', out, ...MARKS, '--settle', '500ms', '--expect', RETURNED, '--expect', 'rss@max:load >= 64MiB', '--expect', 'rss@max < 300MiB', '--', bin, '64', 'unmap', '1500']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/phase load\nphase free\nidle for 1500 ms/); // the command's own output still shows
    const v = lastRun(out).variants[0]!;
    expect(v.marks.map((m) => m.phase)).toEqual(['watch', 'load', 'free', 'settled', 'end']);
    const free = v.marks.find((m) => m.phase === 'free')!;
    expect(v.marks.find((m) => m.phase === 'settled')!.tMs - free.tMs).toBeGreaterThanOrEqual(500);
    expect(v.expectations.map((e) => [e.id, e.status])).toEqual([['expect-1', 'held'], ['expect-2', 'held'], ['expect-3', 'held']]);
    const [returned, loaded] = v.expectations;
    expect(returned!.leftValue!).toBeLessThan(16 * MiB);
    expect(loaded!.leftValue! - returned!.leftValue!).toBeGreaterThan(60 * MiB);
    expect(returned).toMatchObject({ left: 'rss@start:settled', op: '<=', right: 'rss@start:load', factor: 1.2, text: RETURNED });
  });

  it('watch --expect - memory kept after the free: exit 1, the failed expectation shown with both values', async (ctx) => {
    if (skip) ctx.skip();
    const out = join(dir, 'kept');
    const r = await rsslab(['watch', '--out', out, ...MARKS, '--settle', '500ms', '--expect', RETURNED, '--', bin, '64', 'keep', '1500']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/✗ .*rss@start:settled <= 1\.2 \* rss@start:load — rss@start:settled = 6\d\.\d MiB <= \d+\.\d MiB \(1\.2 × rss@start:load\)/);
    const e = lastRun(out).variants[0]!.expectations[0]!;
    expect(e.status).toBe('failed');
    expect(e.leftValue!).toBeGreaterThan(60 * MiB);
    // then the same explanation expectMemory gives: expected vs measured, the phase, the series around it
    expect(r.stdout).toContain(`memory expectation failed: ${RETURNED}`);
    expect(r.stdout).toContain(`  measured  rss@start:settled = ${formatBytes(e.leftValue!)}, ${formatBytes(e.leftValue! - e.rightValue!)} over the limit`);
    expect(r.stdout).toMatch(/rss \(MiB\) around it[^\n]*\n(?: {4}[ ▸] +\d+\.\d{3} .*\n)*? {4}▸ +\d+\.\d{3} +settled +6\d\.\d\n/);
  });

  it('watch --expect - absolute slack on the command line; --json keeps stdout one JSON document and explains on stderr', async (ctx) => {
    if (skip) ctx.skip();
    const r = await rsslab(['watch', '--json', '--out', join(dir, 'slack'), ...MARKS, '--settle', '300ms', '--expect', 'rss@start:settled <= rss@start:load + 16MiB', '--', bin, '32', 'keep', '800']);
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout) as { run: Run };
    const e = doc.run.variants[0]!.expectations[0]!;
    expect(e).toMatchObject({ right: 'rss@start:load', offset: 16 * MiB, status: 'failed' });
    expect(e.rightValue!).toBe(evaluateMetric(doc.run.variants[0]!, 'rss@start:load')! + 16 * MiB);
    // the slack is stored: `rsslab report` re-judges the saved Run to the same result
    expect(rejudge(doc.run.variants[0]!)).toEqual(doc.run.variants[0]!.expectations);
    expect(e.leftValue! - e.rightValue!).toBeGreaterThan(10 * MiB); // 32 MiB kept, 16 allowed
    expect(r.stderr).toContain('memory expectation failed: rss@start:settled <= rss@start:load + 16MiB');
    const bad = await rsslab(['watch', '--out', join(dir, 'bad'), '--expect', 'rss@max < rss@start:load + 16', '--', '/bin/true']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('"16" has no unit: rss@start:load is in bytes, so say which, e.g. 16MiB');
    expect(bad.stderr).toContain('    rss@max < rss@start:load + 16\n                               ^^');
  });

  it('watch --settle - a command that exits before the settle time: no "settled" phase, the expectation fails and the Run says why', async (ctx) => {
    if (skip) ctx.skip();
    const out = join(dir, 'short');
    const r = await rsslab(['watch', '--out', out, ...MARKS, '--settle', '5s', '--expect', RETURNED, '--', bin, '16', 'unmap', '300']);
    expect(r.exitCode).toBe(1);
    const v = lastRun(out).variants[0]!;
    expect(v.marks.map((m) => m.phase)).toEqual(['watch', 'load', 'free', 'end']);
    expect(v.expectations[0]!.reason).toMatch(/no data for rss@start:settled/);
    expect(v.settings.skippedSettings[0]!.reason).toMatch(/the command stopped too soon/);
  });

  it('watch --expect - a malformed expectation or regex is refused (exit 2) before the command starts', async (ctx) => {
    if (skip) ctx.skip();
    const marker = join(dir, 'started');
    for (const [args, msg] of [
      [['--expect', 'rss@whenever < 1MiB'], /"@whenever": use first, last, max, min/],
      [['--expect', 'live@last < 1MiB'], /not a series the sampler reads/],
      [['--mark-on-stdout', '(unclosed'], /--mark-on-stdout: invalid regular expression/],
      [['--settle', 'soon'], /"soon" is not a duration/],
    ] as Array<[string[], RegExp]>) {
      const r = await rsslab(['watch', '--out', join(dir, 'bad'), ...args, '--', '/bin/touch', marker]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    expect(existsSync(marker)).toBe(false);
    const pid = await rsslab(['watch', '--out', join(dir, 'bad'), '--pid', String(process.pid), ...MARKS, '--duration', '100ms']);
    expect(pid.exitCode).toBe(2);
    expect(pid.stderr).toMatch(/--mark-on-stdout reads the output of a command rsslab starts/);
  });
});

describe('expectMemory (programmatic API)', () => {
  const quiet = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

  it('expectMemory - ok when the program returns its memory; results carry both sides', async (ctx) => {
    if (skip) ctx.skip();
    const res = await expectMemory({ command: [bin, '64', 'unmap', '1200'], expect: [RETURNED], markOnStdout: '^phase (\\w+)', settleMs: 500, stdoutTo: quiet() });
    expect(res.ok).toBe(true);
    expect(res.results[0]!.status).toBe('held');
    expect(res.results[0]!.rightValue!).toBeGreaterThan(res.results[0]!.leftValue! * 0.5);
    expect(res.run.variants[0]!.expectations).toEqual(res.results);
  });

  it('expectMemory - not ok when it keeps 64 MiB; a malformed expectation throws before starting', async (ctx) => {
    if (skip) ctx.skip();
    const res = await expectMemory({ command: [bin, '64', 'keep', '1200'], expect: [RETURNED, 'rss@max:load >= 64MiB'], markOnStdout: /^phase (?<phase>\w+)/, settleMs: 500, stdoutTo: quiet() });
    expect(res.ok).toBe(false);
    expect(res.results.map((e) => e.status)).toEqual(['failed', 'held']);
    await expect(expectMemory({ command: [bin], expect: ['rss < 1'] })).rejects.toThrow(/"rss" is not a metric/);
    await expect(expectMemory({ command: [bin], expect: [] })).rejects.toThrow(/at least one expectation/);
  });
});
