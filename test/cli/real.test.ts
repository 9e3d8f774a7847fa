// `rsslab run --real / --real-only` and `rsslab list` with counterparts, through the CLI.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const rsslab = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true', ...env } });
const tmp = (name = 'cli') => mkdtempSync(join(tmpdir(), `rsslab-${name}-`));

describe('rsslab CLI - real counterparts', () => {
  it('list - shows each experiment\'s real counterparts, and --json their sources and apt packages', async () => {
    const r = await rsslab(['list']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/real thp-loop +the seed's C loop \(c: counterparts\/thp-khugepaged\/thp_loop\.c\)/);
    const j = await rsslab(['list', '--json']);
    const thp = (JSON.parse(j.stdout) as { experiments: Array<{ id: string; counterparts: Array<{ id: string; sources: string[]; apt: string[] }> }> }).experiments.find((e) => e.id === 'thp-khugepaged')!;
    expect(thp.counterparts).toEqual([
      expect.objectContaining({ id: 'thp-loop', sources: ['counterparts/thp-khugepaged/thp_loop.c'], apt: ['gcc'] }),
      expect.objectContaining({ id: 'go-heap', sources: ['counterparts/thp-khugepaged/main.go'], apt: ['golang-go'] }),
    ]);
  });

  it('doctor - says which counterpart compilers this machine has, and the apt-get line for a missing one', async () => {
    const ok = JSON.parse((await rsslab(['doctor', '--json'])).stdout) as { findings: Array<{ what: string; ok: boolean; meaning: string }> };
    expect(ok.findings.map((f) => f.what)).toEqual(expect.arrayContaining(['compiler cc', 'compiler c++', 'compiler go']));
    const none = JSON.parse((await rsslab(['doctor', '--json'], { PATH: tmp('empty-path') })).stdout) as { findings: Array<{ what: string; ok: boolean; meaning: string }> };
    expect(none.findings.find((f) => f.what === 'compiler go')).toMatchObject({ ok: false, meaning: 'real counterparts in go are skipped: apt-get install golang-go' });
  });

  it('run - --real and --real-only together is a usage error (exit 2)', async () => {
    const r = await rsslab(['run', 'thp-khugepaged', '--real', '--real-only', '--out', tmp()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--real .* or --real-only, not both/);
  });

  it('run - --real-only with a PATH lacking cc skips the counterpart with apt-get install gcc, and records why', async () => {
    const out = tmp();
    const r = await rsslab(['run', 'thp-khugepaged', '--quick', '--real-only', '--variant', 'nohugepage', '--out', out, '--format', 'md'], { PATH: tmp('empty-path') });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/nohugepage \(real thp-loop\): skipped — counterpart thp-loop needs the c compiler `cc`, which is not on PATH: apt-get install gcc/);
    const run = JSON.parse(readFileSync(join(out, 'thp-khugepaged.json'), 'utf8')) as { variants: unknown[]; skipped: unknown[] };
    expect(run.variants).toEqual([]);
    expect(run.skipped).toEqual([
      { variant: 'nohugepage', counterpart: 'thp-loop', reason: 'counterpart thp-loop needs the c compiler `cc`, which is not on PATH: apt-get install gcc' },
      { variant: 'nohugepage', counterpart: 'go-heap', reason: 'counterpart go-heap needs the go compiler `go`, which is not on PATH: apt-get install golang-go' },
    ]);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/\*\*nohugepage \(real thp-loop\)\*\* skipped: .*apt-get install gcc/);
  });
});
