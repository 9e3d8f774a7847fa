// The CI flow of docs/ci.md, end to end on the real kernel: two quick runs of madv-free/dontneed with
// 3 repeats each, compared (no regression → 0); a DOCTORED COPY of the candidate (RSS after the free
// set to the touched size, in the stored metrics and in the free phase's samples, as if the program
// had stopped returning memory) to prove the detector fires (→ 1, metric named); and the inputs that
// cannot be compared (another experiment, a corrupt file, an empty folder, another schema) → 2. With 3
// repeats a side the doctored copy is noise under the default Holm–Bonferroni correction (the output says
// 5 repeats a side are needed) and a regression with --correction none.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '../../src/run/schema.js';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const rsslab = (args: string[]) => execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true' } });
const MiB = 1 << 20;
const MISSING = existsSync(CLI) ? null : `${CLI} is missing: run \`npm run build\` first`;
if (MISSING) console.warn(`compare CLI tests skipped: ${MISSING}`);

const dir = mkdtempSync(join(tmpdir(), 'rsslab-compare-'));
const base = join(dir, 'baseline');
const cand = join(dir, 'candidate');
const runs: Record<string, number> = {};

beforeAll(async () => {
  if (MISSING) return;
  for (const out of [base, cand]) {
    const r = await rsslab(['run', 'madv-free', '--quick', '--variant', 'dontneed', '--repeat', '3', '--format', 'md', '--out', out]);
    runs[out] = r.exitCode ?? -1;
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readRun = (file: string): Run => JSON.parse(readFileSync(file, 'utf8')) as Run;

/** A copy of the candidate in which the region stays resident after MADV_DONTNEED: stored metric and samples. */
function doctoredCopy(): string {
  const run = readRun(join(cand, 'madv-free.json'));
  const regionBytes = run.experiment.params.regionBytes as number;
  for (const v of run.variants) {
    v.metrics['region.main.rss@end:free'] = regionBytes;
    const from = v.marks.find((m) => m.phase === 'free')!.tMs;
    const to = v.marks.find((m) => m.phase === 'hold')!.tMs;
    for (const s of v.samples) if (s.tMs >= from && s.tMs <= to && s.regions.main) s.regions.main.rssBytes = regionBytes;
  }
  const out = join(dir, 'doctored');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'madv-free.json'), JSON.stringify(run));
  return out;
}

describe.skipIf(MISSING !== null)('rsslab compare (real quick runs)', () => {
  it('compare - two real runs of the same code: exit 0, table with medians over 3 repeats, Markdown appended', async () => {
    expect(runs[base]).toBe(0);
    expect(runs[cand]).toBe(0);
    expect(readRun(join(base, 'madv-free.json')).variants.map((v) => v.repeat)).toHaveLength(3);
    const summary = join(dir, 'step-summary.md');
    writeFileSync(summary, '# earlier step output\n');
    const r = await rsslab(['compare', base, cand, '--markdown', summary]);
    // nothing on stderr but, at most, the one line saying another run holds the lock (restore-first skipped)
    expect(String(r.stderr).split('\n').filter((l) => l !== '' && !/^rsslab: a run is in progress /.test(l))).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/madv-free\/dontneed │ region\.main\.rss@end:touch\s+│ 64\.0 MiB \(n=3\)/);
    expect(r.stdout).toMatch(/no regression \(\d+ figures judged/);
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('# earlier step output\n## rsslab compare')).toBe(true);
    expect(md).toMatch(/✅ no regression/);
    expect(md).toMatch(/\| madv-free\/dontneed \| region.main.rss@end:free \| 0 B \(n=3\) \| 0 B \(n=3\) \|/);
  });

  it('compare - a doctored copy keeping the region after the free: with 3 repeats, noise under Holm (and how many repeats are needed); exit 1 without correction', async () => {
    const holm = await rsslab(['compare', base, doctoredCopy()]);
    expect(holm.exitCode).toBe(0);
    expect(holm.stdout).toMatch(/madv-free\/dontneed │ region\.main\.rss@end:free +│ 0 B \(n=3\) +│ 64\.0 MiB \(n=3\) +│ \+64\.0 MiB \(\+from 0\) │ 0\.050 → 0\.\d+ +│ ~ noise/);
    expect(holm.stdout).toMatch(/figures tested together, Holm–Bonferroni at α = 0\.05; with these repeats the smallest adjusted p one figure can reach is 0\.\d+ > α, .*run 5 or more repeats a side/);
    const r = await rsslab(['compare', base, join(dir, 'doctored'), '--correction', 'none']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/✗ madv-free\/dontneed region\.main\.rss@end:free: 0 B \(n=3\) → 64\.0 MiB \(n=3\), \+64\.0 MiB/);
    expect(r.stdout).toMatch(/p = 0\.050 ≤ α = 0\.05/);
    expect(r.stdout).toMatch(/1 regression beyond the thresholds/);
    const md = await rsslab(['compare', base, join(dir, 'doctored'), '--markdown', '-', '--correction', 'none']);
    expect(md.exitCode).toBe(1);
    expect(md.stdout).toMatch(/\*\*❌ 1 regression/);
    // a per-metric threshold above the change turns it into "within the thresholds"
    const loose = await rsslab(['compare', base, join(dir, 'doctored'), '--correction', 'none', '--threshold', 'region.main.rss@end:free=10%,100MiB']);
    expect(loose.exitCode).toBe(0);
  });

  it('compare - another experiment: exit 2, nothing in common, both sides named', async () => {
    const w = join(dir, 'watch');
    const watched = await rsslab(['watch', '--out', w, '--', '/bin/sleep', '0.2']);
    expect(watched.exitCode).toBe(0);
    const r = await rsslab(['compare', base, w]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/nothing to compare: the baseline has madv-free, the candidate has watch/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
  });

  it('compare - a truncated Run file: exit 2, the file named', async () => {
    const cut = join(dir, 'cut');
    mkdirSync(cut, { recursive: true });
    const text = readFileSync(join(cand, 'madv-free.json'), 'utf8');
    writeFileSync(join(cut, 'madv-free.json'), text.slice(0, text.length / 2));
    const r = await rsslab(['compare', base, join(cut, 'madv-free.json')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/candidate .*cut\/madv-free\.json: not valid JSON .*cut short/);
  });

  it('compare - an empty folder, a missing path, another schema version, a bad flag: exit 2 each', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const e = await rsslab(['compare', empty, cand]);
    expect(e.exitCode).toBe(2);
    expect(e.stderr).toMatch(/baseline .*empty: no rsslab Run files in it/);
    const missing = await rsslab(['compare', base, join(dir, 'nope')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/candidate .*nope: no such file or folder/);
    const future = join(dir, 'future');
    cpSync(cand, future, { recursive: true });
    const run = readRun(join(future, 'madv-free.json'));
    writeFileSync(join(future, 'madv-free.json'), JSON.stringify({ ...run, schemaVersion: 3 }));
    const v2 = await rsslab(['compare', base, future]);
    expect(v2.exitCode).toBe(2);
    expect(v2.stderr).toMatch(/this rsslab reads version 1 and 2 \(writes 2\), the file is version 3/);
    const flag = await rsslab(['compare', base, cand, '--threshold-rel', 'lots']);
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toMatch(/"lots" is not a relative threshold/);
    const usage = await rsslab(['compare', base]);
    expect(usage.exitCode).toBe(2);
    const correction = await rsslab(['compare', base, cand, '--correction', 'bonferonni']);
    expect(correction.exitCode).toBe(2);
    expect(correction.stderr).toMatch(/--correction "bonferonni": use holm/);
    const stray = await rsslab(['compare', base, cand, '--', 'echo', '{out}']);
    expect(stray.exitCode).toBe(2);
    expect(stray.stderr).toMatch(/a command \("echo \{out\}"\) is only for --interleave/);
  });
});
