// Bad input the CLI must refuse cleanly, beyond test/cli/cli.test.ts: output folders the user cannot
// write (for real, as user nobody — root writes anywhere), a folder that becomes read-only half-way
// through a run, and Run files of another schema version. Each: a message naming the problem and the
// fix, a non-zero exit, and nothing written half-way.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '../../src/run/schema.js';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const RUN_FIXTURE = join(import.meta.dirname, '../fixtures/report/madv-free-quick.run.json');
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const asNobody = isRoot && setpriv !== undefined;
if (!asNobody) console.warn('skipped: unwritable-folder tests need root and setpriv (they drop to user nobody, for whom permissions apply)');

const tmp = () => mkdtempSync(join(tmpdir(), 'rsslab-cli-'));
const rsslab = (args: string[]) => execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true' } });
const rsslabAsNobody = (args: string[], env: Record<string, string> = {}) =>
  execa(setpriv!, ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, CLI, ...args], {
    reject: false,
    extendEnv: false,
    env: { CI: 'true', HOME: '/tmp', PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });

describe('rsslab CLI - bad input, refused cleanly', () => {
  it('report - a Run file of another schema version exits 2, names the versions, writes nothing', async () => {
    const dir = tmp();
    const run = JSON.parse(readFileSync(RUN_FIXTURE, 'utf8')) as Run;
    writeFileSync(join(dir, 'future.json'), JSON.stringify({ ...run, schemaVersion: 99 }));
    const out = join(dir, 'out');
    const r = await rsslab(['report', join(dir, 'future.json'), '--out', out]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/future\.json: run\.schemaVersion: this rsslab reads version 1 and 2 \(writes 2\), the file is version 99/);
    expect(r.stderr).toMatch(/use the rsslab version that wrote it/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('report - a file that is JSON but not a Run exits 2 naming the first bad field', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ schema: 'rsslab.run', schemaVersion: 1, experiment: 7 }));
    const r = await rsslab(['report', join(dir, 'other.json'), '--out', join(dir, 'out')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/other\.json: run\.\w+: expected \w+, found/);
    expect(existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : []).toEqual([]);
  });

  it.skipIf(!asNobody)('run - an output folder the user may not write (as nobody) exits 2 and says --out, before running anything', async () => {
    const parent = tmp();
    chmodSync(parent, 0o755); // root's, readable by all, writable by root only
    const r = await rsslabAsNobody(['run', 'madv-free', '--quick', '--out', join(parent, 'runs')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot write to the output folder .*runs \(EACCES\): choose another with --out DIR/);
    expect(r.stdout).not.toMatch(/phase/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it.skipIf(!asNobody)('report - an output folder the user may not write (as nobody) fails with the folder named and --out', async () => {
    const parent = tmp();
    chmodSync(parent, 0o755);
    const input = join(tmp(), 'run.json');
    writeFileSync(input, readFileSync(RUN_FIXTURE));
    chmodSync(join(input, '..'), 0o755);
    chmodSync(input, 0o644);
    const r = await rsslabAsNobody(['report', input, '--out', join(parent, 'reports')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot write reports to .*reports: EACCES.*--out/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it.skipIf(!asNobody)('run - the folder turns read-only after the first Run is saved: exit 2, that Run whole, no partial or temporary file', { timeout: 5 * 60_000 }, async () => {
    const out = tmp();
    const state = tmp();
    for (const d of [out, state]) {
      chownSync(d, NOBODY, NOBODY);
      chmodSync(d, 0o700);
    }
    const child = rsslabAsNobody(['run', 'madv-free', 'thp-khugepaged', '--quick', '--format', 'md', '--out', out], { RSSLAB_STATE_DIR: state, XDG_RUNTIME_DIR: '' });
    // as soon as the first Run is in place, take write permission away (thp-khugepaged still runs for seconds)
    let locked = false;
    while (child.exitCode === null && !locked) {
      if (existsSync(join(out, 'madv-free.json'))) {
        chmodSync(out, 0o500);
        locked = true;
      } else await new Promise((r) => setTimeout(r, 10));
    }
    const r = await child;
    expect(locked).toBe(true);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot write to the output folder .* \(EACCES\); already saved there: madv-free\.json; nothing half-written was left/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    chmodSync(out, 0o700);
    // exactly the Run saved before, complete and valid JSON: no thp-khugepaged.json, no .tmp, no report
    expect(readdirSync(out)).toEqual(['madv-free.json']);
    const saved = JSON.parse(readFileSync(join(out, 'madv-free.json'), 'utf8')) as Run;
    expect(saved.experiment.id).toBe('madv-free');
    expect(saved.variants.length).toBeGreaterThan(0);
  });
});

describe('rsslab CLI - unknown input names the valid choices', () => {
  it('run - an unknown report format exits 2 and lists html, md, csv', async () => {
    const r = await rsslab(['run', 'madv-free', '--quick', '--format', 'pdf', '--out', tmp()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown report format "pdf": use html, md, csv/);
  });

  it('run - malformed --timeout and --lock-wait exit 2 with the rule', async () => {
    for (const flag of ['--timeout', '--lock-wait']) {
      const r = await rsslab(['run', 'madv-free', '--quick', flag, 'soon', '--out', tmp()]);
      expect(r.exitCode, flag).toBe(2);
      expect(r.stderr, flag).toMatch(/"soon" is not a duration/);
    }
  });

  it('run - pressure asked for outside a cgroup is skipped with the reason, not applied to the host', async () => {
    const out = tmp();
    mkdirSync(out, { recursive: true });
    const r = await rsslab(['run', 'thp-khugepaged', '--quick', '--variant', 'nohugepage', '--param', 'pressure=true', '--format', 'md', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/skipped nohugepage: memory pressure runs only inside a memory cgroup/);
    const run = JSON.parse(readFileSync(join(out, 'thp-khugepaged.json'), 'utf8')) as Run;
    expect(run.variants).toEqual([]);
  });
});
