// rsslab/vitest's matchers with vitest's own expect: on expectMemory() results from real children
// (test/fixtures/ci/phases.c, 64 MiB unmapped or kept), on their Runs, and on a recorded experiment
// Run with three repeats (test/fixtures/ci/madv-free-dontneed-x3.json, measured on this kernel).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { memoryMatchers } from '../src/vitest.js';
import { expectMemory, type ExpectMemoryResult } from '../src/expect-memory.js';
import { formatBytes } from '../src/quantities.js';
import type { Run } from '../src/run/schema.js';

expect.extend(memoryMatchers);

const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'rsslab-matchers-'));
const bin = join(dir, 'phases');
const quiet = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
const SLACK = 'rss@start:settled <= rss@start:load + 16MiB';
let skip: string | null = null;
let returned: ExpectMemoryResult;
let kept: ExpectMemoryResult;

/** The message a failing matcher throws with. */
function failure(assertion: () => void): string {
  try {
    assertion();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the assertion passed');
}

beforeAll(async () => {
  const cc = await execa('cc', ['-O2', '-Wall', '-o', bin, join(import.meta.dirname, 'fixtures/ci/phases.c')], { reject: false });
  if (cc.exitCode !== 0) {
    skip = `no C compiler to build the fixture (cc: ${cc.stderr || cc.message})`;
    return;
  }
  const opts = { expect: [SLACK], markOnStdout: '^phase (\\w+)', settleMs: 400, stdoutTo: quiet() };
  returned = await expectMemory({ ...opts, command: [bin, '64', 'unmap', '900'] });
  kept = await expectMemory({ ...opts, command: [bin, '64', 'keep', '900'] });
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rsslab/vitest matchers on real programs', () => {
  it('toHoldMemoryExpectations - passes when the program returned its memory; fails with the explanation when it kept it', (ctx) => {
    if (skip) ctx.skip();
    expect(returned).toHoldMemoryExpectations();
    expect(returned.run).toHoldMemoryExpectations();
    expect(kept).not.toHoldMemoryExpectations();
    const e = kept.results[0]!;
    const m = failure(() => expect(kept).toHoldMemoryExpectations());
    expect(m).toContain(`expected the program's memory expectations to hold\n\nmemory expectation failed: ${SLACK}\n`);
    expect(m).toContain(`  measured  rss@start:settled = ${formatBytes(e.leftValue!)}, ${formatBytes(e.leftValue! - e.rightValue!)} over the limit`);
    expect(m).toMatch(/rss \(MiB\) around it/);
    // with .not on a program that held: what held, with both values
    const n = failure(() => expect(returned).not.toHoldMemoryExpectations());
    expect(n).toMatch(/^expected a memory expectation to fail, but every one held:\n {2}✓ rss@start:settled <= rss@start:load \+ 16MiB — rss@start:settled = [\d.]+ [KM]iB <= [\d.]+ MiB \(rss@start:load \+ 16\.0 MiB\)/);
  });

  it('toReturnMemory - from the first own phase to "settled", 4 MiB of slack by default; the checked expectation is named', (ctx) => {
    if (skip) ctx.skip();
    expect(returned.run).toReturnMemory();
    expect(returned).toReturnMemory({ from: 'load', slack: '8MiB' });
    expect(kept.run).not.toReturnMemory();
    // 64 MiB kept: within 80 MiB of slack it "returned"
    expect(kept.run).toReturnMemory({ slack: 80 * MiB });
    const m = failure(() => expect(kept.run).toReturnMemory({ slack: '2MiB' }));
    expect(m).toMatch(/^expected memory to be returned: "rss@start:settled <= rss@start:load \+ 2MiB"\n\nmemory expectation failed: rss@start:settled <= rss@start:load \+ 2MiB\n {2}expected/);
    expect(failure(() => expect(kept.run).toReturnMemory({ slack: 'lots' }))).toMatch(/toReturnMemory: slack "lots" is not a size/);
  });

  it('toSatisfyMemory - judges new expectation texts on what was measured; a malformed one fails with the pointed parse error', (ctx) => {
    if (skip) ctx.skip();
    expect(kept).toSatisfyMemory('rss@max:load >= 64MiB');
    expect(kept.run).toSatisfyMemory(['rss@max:load >= 64MiB', 'rss@start:settled >= rss@start:load + 60MiB']);
    expect(returned.run).not.toSatisfyMemory('rss@start:settled >= rss@start:load + 60MiB');
    const bad = failure(() => expect(kept.run).toSatisfyMemory('rss@max < rss@start:load + 16'));
    expect(bad).toContain('"16" has no unit');
    expect(bad).toContain('    rss@max < rss@start:load + 16\n                               ^^');
    // a watch Run has no child reports: a reported series is refused as in rsslab watch
    expect(failure(() => expect(kept.run).toSatisfyMemory('live@max < 1MiB'))).toMatch(/not a series the sampler reads/);
  });

  it('matchers - anything but a Run, a variant or an expectMemory() result is refused with what it was', async (ctx) => {
    if (skip) ctx.skip();
    expect(failure(() => expect({ ok: true }).toHoldMemoryExpectations())).toBe('expected an rsslab Run, one of its variants, or an expectMemory() result, but got an object with keys ok');
    expect(failure(() => expect(42).toSatisfyMemory('rss@max < 1MiB'))).toMatch(/but got number 42$/);
    const pending = Promise.resolve(kept);
    expect(failure(() => expect(pending).toReturnMemory())).toMatch(/a Promise \(await it, or use expect\(…\)\.resolves\)/);
    await expect(pending).resolves.toSatisfyMemory('rss@max:load >= 64MiB');
    const none = { ...returned.run, variants: [{ ...returned.run.variants[0]!, expectations: [] }] };
    expect(failure(() => expect(none).toHoldMemoryExpectations())).toMatch(/has no expectations to hold/);
  });
});

describe('rsslab/vitest matchers on a recorded experiment Run (three repeats)', () => {
  const run = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/ci/madv-free-dontneed-x3.json'), 'utf8')) as Run;

  it('matchers - every variant is judged; a failure names each variant and repeat that failed', () => {
    expect(run).toHoldMemoryExpectations();
    // MADV_DONTNEED on 64 MiB: RSS at the end of "free" is 64 MiB below the end of "touch" in every repeat
    expect(run).toSatisfyMemory('rss@end:free <= rss@end:touch - 60MiB');
    expect(run.variants[1]).toSatisfyMemory('rss@end:free <= rss@end:touch - 60MiB');
    const m = failure(() => expect(run).toSatisfyMemory('rss@end:free <= rss@end:touch - 70MiB'));
    expect(m).toMatch(/^expected memory to satisfy "rss@end:free <= rss@end:touch - 70MiB"\n\nvariant dontneed, repeat 0 \(/);
    for (const r of [0, 1, 2]) expect(m).toContain(`variant dontneed, repeat ${r} (`);
    expect(m.match(/memory expectation failed/g)).toHaveLength(3);
    // experiment Runs carry the child's reports: their series can be judged too
    expect(run).toSatisfyMemory('rss@max >= 64MiB');
  });
});
