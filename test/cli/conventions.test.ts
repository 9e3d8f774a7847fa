// The CLI's conventions, checked on the built command: examples in every --help, one JSON flag (report's too)
// whose documents carry a schema tag, `list <experiment>`, doctor's exit code, NO_COLOR and
// FORCE_COLOR, `watch --json` keeping the program's output off stdout, no crash on a closed pipe.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const RUN_FIXTURE = join(import.meta.dirname, '../fixtures/ci/madv-free-dontneed-x3.json');
const rsslab = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true', ...env }, extendEnv: true });
const tmp = () => mkdtempSync(join(tmpdir(), 'rsslab-conv-'));
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const asNobody = process.getuid?.() === 0 && setpriv !== undefined;
const ESC = '\u001b[';

describe('rsslab CLI - conventions', () => {
  it('help - every command ends its --help with copyable examples', async () => {
    for (const cmd of [[], ['run'], ['list'], ['doctor'], ['restore'], ['watch'], ['compare'], ['report'], ['workshop']]) {
      const r = await rsslab([...cmd, '--help']);
      expect(r.exitCode, cmd.join(' ')).toBe(0);
      expect(r.stdout, cmd.join(' ')).toMatch(/\nExamples:\n {2}\$ (sudo )?rsslab /);
    }
  });

  it('list <experiment> - its variants with what each needs, its parameters with both profiles’ defaults', async () => {
    const r = await rsslab(['list', 'thp-khugepaged']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\* max-ptes-none-0 +max_ptes_none=0\n +needs: .*root \+ --tune-system \(khugepaged\/max_ptes_none=0\)/);
    expect(r.stdout).toMatch(/pressure +deferred split.*\n +needs: .*memory cgroup/);
    expect(r.stdout).toMatch(/regionBytes +256\.0 MiB \(quick 64\.0 MiB\)/);
    const bad = await rsslab(['list', 'thp']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/unknown experiment "thp": choose one of thp-khugepaged/);
  });

  it('--json - one document on stdout, tagged with its schema', async () => {
    const list = JSON.parse((await rsslab(['list', '--json'])).stdout) as { schema: string; experiments: Array<{ id: string; variants: Array<{ needs: string[] }> }> };
    expect(list.schema).toBe('rsslab.list/1');
    expect(list.experiments.map((x) => x.id)).toContain('fragmentation');
    const one = JSON.parse((await rsslab(['list', 'faiss-cycles', '--json'])).stdout) as { schema: string; variants: Array<{ id: string; needs: string[] }> };
    expect(one.schema).toBe('rsslab.experiment/1');
    // a jemalloc variant says so once, whether it requires the library, selects it, or both
    const jem = one.variants.filter((v) => v.needs.some((n) => /jemalloc/.test(n)));
    expect(jem.length).toBeGreaterThan(0);
    for (const v of jem) expect(v.needs.filter((n) => /jemalloc/.test(n)), v.id).toHaveLength(1);
    const doctor = await rsslab(['doctor', '--json']);
    const d = JSON.parse(doctor.stdout) as { schema: string; exitCode: number };
    expect(d.schema).toBe('rsslab.doctor/1');
    expect(d.exitCode).toBe(doctor.exitCode);
    const cmp = await rsslab(['compare', RUN_FIXTURE, RUN_FIXTURE, '--json']);
    expect(cmp.exitCode).toBe(0);
    expect((JSON.parse(cmp.stdout) as { schema: string }).schema).toBe('rsslab.compare/1');
    const out = tmp();
    const rep = await rsslab(['report', RUN_FIXTURE, '--json', '--format', 'md', '--out', out]);
    expect(rep.exitCode, rep.stderr).toBe(0);
    const doc = JSON.parse(rep.stdout) as { schema: string; files: string[]; runs: Array<{ file: string; experiment: string; variants: Array<{ variant: string; expectations: Array<{ id: string; status: string }> }> }> };
    expect(doc.schema).toBe('rsslab.report/1');
    expect(doc.files).toEqual([join(out, 'summary.md')]);
    for (const f of doc.files) expect(existsSync(f), f).toBe(true);
    expect(doc.runs.map((x) => [x.file, x.experiment])).toEqual([[RUN_FIXTURE, 'madv-free']]);
    expect(doc.runs[0]!.variants[0]!.expectations.find((e) => e.id === 'touched')?.status).toBe('held');
    const none = await rsslab(['report', join(out, 'missing.json'), '--json']);
    expect(none.exitCode).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/missing\.json: no such file or folder/);
  });

  it('run --json - the Runs and the files written, tagged rsslab.runs/1; progress stays on stderr', async () => {
    const r = await rsslab(['run', 'madv-free', '--quick', '--variant', 'dontneed', '--json', '--format', 'md', '--out', tmp()]);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { schema: string; files: string[]; runs: Array<{ experiment: { id: string } }> };
    expect(doc.schema).toBe('rsslab.runs/1');
    expect(doc.runs.map((x) => x.experiment.id)).toEqual(['madv-free']);
    expect(doc.files.some((f) => f.endsWith('madv-free.json'))).toBe(true);
    for (const f of doc.files) expect(existsSync(f), f).toBe(true);
    expect(r.stderr).toMatch(/madv-free\/dontneed/);
  });

  it('compare --format - still understood, but says it is deprecated and what replaces it', async () => {
    const r = await rsslab(['compare', RUN_FIXTURE, RUN_FIXTURE, '--format', 'json']);
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as { schema: string }).schema).toBe('rsslab.compare/1');
    expect(r.stderr).toMatch(/--format is deprecated.*use --json/);
  });

  it.skipIf(!asNobody)('doctor - as an unprivileged user some default variants would be skipped: exit 1, each listed with its reason', async () => {
    const r = await execa(setpriv!, ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, CLI, 'doctor'], { reject: false, env: { CI: 'true' } });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/Default set .*: \d+ of \d+ variants can run here/);
    expect(r.stdout).toMatch(/skipped thp-khugepaged\/max-ptes-none-0: needs kernel knobs/);
  });

  it('colour - FORCE_COLOR turns it on in a pipe, NO_COLOR wins over it', async () => {
    const forced = await rsslab(['report', RUN_FIXTURE, '--out', tmp(), '--format', 'md'], { FORCE_COLOR: '1' });
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toContain(ESC);
    const off = await rsslab(['report', RUN_FIXTURE, '--out', tmp(), '--format', 'md'], { FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(off.exitCode).toBe(0);
    expect(off.stdout).not.toContain(ESC);
  });

  it('watch --json - only the JSON document on stdout; the program’s output goes to stderr', async () => {
    const r = await rsslab(['watch', '--json', '--out', tmp(), '--', '/bin/sh', '-c', 'echo hello-from-the-program; echo oops >&2; sleep 0.3']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { schema: string; file: string; run: { kind: string } };
    expect(doc.schema).toBe('rsslab.watch/1');
    expect(doc.run.kind).toBe('watch');
    expect(r.stderr).toContain('hello-from-the-program');
    expect(r.stderr).toContain('oops');
  });

  it('a closed pipe - a reader that stops reading (`rsslab list | head -1`) ends it quietly with exit 0', async () => {
    const child = execa(process.execPath, [CLI, 'list', 'thp-khugepaged'], { reject: false, env: { CI: 'true' } });
    child.stdout!.destroy();
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
  });
});
