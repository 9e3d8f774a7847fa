// `rsslab compare --interleave`: two builds of a real program, measured alternately on this machine.
// base/ and head/ hold the same C program built with two sizes (8 MiB and 96 MiB touched, then held
// 400 ms): the head really holds 88 MiB more, so the interleaved comparison must find it, with the
// exact p of 5 rounds fully separated (1/252) adjusted for the figures tested (Holm–Bonferroni).
// Then the ways it refuses to start or stops: each exit 2 with the round and side named.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompareResult } from '../../src/check/compare.js';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const MISSING = existsSync(CLI) ? null : `${CLI} is missing: run \`npm run build\` first`;
const rsslab = (args: string[]) => execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true' } });
const MiB = 1 << 20;

const dir = mkdtempSync(join(tmpdir(), 'rsslab-interleave-'));
const base = join(dir, 'base');
const head = join(dir, 'head');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROGRAM = `#include <stdlib.h>
#include <unistd.h>
int main(void) {
  size_t n = (size_t)MIB << 20;
  volatile char *p = malloc(n);
  for (size_t i = 0; i < n; i += 4096) p[i] = 1; /* touch every page: resident */
  usleep(400000);
  free((char *)p);
  return 0;
}
`;

beforeAll(async () => {
  if (MISSING) return;
  writeFileSync(join(dir, 'prog.c'), PROGRAM);
  for (const [folder, mib] of [[base, 8], [head, 96]] as const) {
    mkdirSync(folder, { recursive: true });
    await execa('gcc', ['-O0', `-DMIB=${mib}`, '-o', join(folder, 'prog'), join(dir, 'prog.c')]);
  }
}, 60_000);

const watchEach = ['--', process.execPath, CLI, 'watch', '--out', '{out}', '--', './prog'];

describe.skipIf(MISSING !== null)('rsslab compare --interleave (two real builds)', () => {
  it('interleave - head holding 88 MiB more: exit 1, rss@max a regression at p = 1/252 adjusted by Holm, rounds alternated, stdout only JSON', async () => {
    const runs = join(dir, 'runs');
    const r = await rsslab(['compare', '--interleave', base, head, '--repeat', '5', '--runs', runs, '--json', ...watchEach]);
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout) as CompareResult & { schema: string };
    expect(doc.schema).toBe('rsslab.compare/1');
    const row = doc.rows.find((x) => x.metric === 'rss@max')!;
    expect(row.verdict).toBe('regression');
    expect(row.baseline!.median).toBeGreaterThan(8 * MiB);
    expect(row.candidate!.median - row.baseline!.median).toBeGreaterThan(80 * MiB);
    expect(row.p).toBeCloseTo(1 / 252, 12);
    expect(doc.correction.method).toBe('holm');
    expect(row.pAdjusted).toBeCloseTo(doc.correction.family / 252, 12);
    expect(doc.notes[0]).toMatch(/^interleaved on this machine: 5 rounds, order B C C B B C C B B C/);
    // each round's Runs in its own folder, and the progress on stderr, each side named
    for (const side of ['baseline', 'candidate']) expect(readdirSync(join(runs, side)).sort()).toEqual(['1', '2', '3', '4', '5']);
    expect(r.stderr).toMatch(/round 1\/5, baseline \(.*\/base\)[\s\S]*round 1\/5, candidate \(.*\/head\)[\s\S]*round 2\/5, candidate[\s\S]*round 2\/5, baseline/);
  });

  it('interleave - refused before anything runs: no command, no {out}, one round, a missing checkout, a used --runs folder', async () => {
    const used = join(dir, 'used');
    mkdirSync(join(used, 'old'), { recursive: true });
    const cases: Array<[string[], RegExp]> = [
      [['compare', '--interleave', base, head], /--interleave needs the command that makes the Runs after "--", with \{out\}/],
      [['compare', '--interleave', base, head, '--', './prog'], /the command has no \{out\}: add --out \{out\}/],
      [['compare', '--interleave', base, head, '--repeat', '1', ...watchEach], /interleaving needs at least 2 rounds/],
      [['compare', '--interleave', base, join(dir, 'nope'), ...watchEach], /the candidate ".*nope" is not a folder/],
      [['compare', '--interleave', base, head, '--runs', used, ...watchEach], /--runs .*used is not empty/],
      [['compare', base, head, '--repeat', '3'], /--repeat is only for --interleave/],
    ];
    for (const [args, message] of cases) {
      const r = await rsslab(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/round 1/);
    }
  });

  it('interleave - a round that fails, writes no Run or cannot start stops with exit 2 (3 passed on), the round named', async () => {
    const bad = await rsslab(['compare', '--interleave', base, head, '--runs', join(dir, 'r1'), '--', process.execPath, CLI, 'run', 'no-such-experiment', '--out', '{out}']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/rsslab compare: round 1\/8, baseline \(.*\/base\): `.*run no-such-experiment --out \{out\}` exited with 2 — fix the command/);
    const none = await rsslab(['compare', '--interleave', base, head, '--runs', join(dir, 'r2'), '--', 'true', '{out}']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/round 1\/8, baseline .*: the command wrote no Run file into .*r2\/baseline\/1/);
    const missing = await rsslab(['compare', '--interleave', base, head, '--runs', join(dir, 'r3'), '--', './no-such-program', '{out}']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/round 1\/8, baseline .*: \.\/no-such-program could not run: .*ENOENT/);
    // exit 3 (a round's rsslab could not restore the machine) is passed on, not folded into 2
    const unrestored = await rsslab(['compare', '--interleave', base, head, '--runs', join(dir, 'r4'), '--', 'sh', '-c', 'exit 3', '{out}']);
    expect(unrestored.exitCode).toBe(3);
    expect(unrestored.stderr).toMatch(/round 1\/8, baseline .*: the machine could not be fully restored after this round — run `sudo rsslab restore`/);
  });
});
