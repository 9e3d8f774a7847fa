// Security properties of a tool that runs as root: no shell is ever built (every process is started
// by execa with an argument array), nothing from a Run file or the command line chooses a path
// outside the output folder, and the journal and lock live in a root-owned directory nobody else can
// write.
import { describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeRunFile } from '../../src/run/io.js';
import { defaultStateDir, stateDir } from '../../src/system/paths.js';
import type { Run } from '../../src/run/schema.js';
import { isRoot, rsslab, tmp, warnSkip } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const RUN_FIXTURE = join(ROOT, 'test/fixtures/report/madv-free-quick.run.json');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|cts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Every file below `dir`, as paths relative to `base`. */
function filesUnder(dir: string, base: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(base, join(e.parentPath, e.name)))
    .sort();
}

describe('no shell, ever', () => {
  const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'experiments'))];

  it('src and experiments - no `shell: true`, no child_process, no execaCommand or execa`…` templates', () => {
    expect(files.length).toBeGreaterThan(30);
    const offenders: string[] = [];
    for (const f of files) {
      const code = readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => !/^\s*(\/\/|\*)/.test(l))
        .join('\n');
      if (/shell\s*:\s*(true|['"`])/.test(code)) offenders.push(`${f}: shell option`);
      if (/(from\s+|require\()\s*['"](node:)?child_process['"]/.test(code)) offenders.push(`${f}: child_process (exec/spawn with a shell is one option away)`);
      if (/\bexecaCommand(Sync)?\b|\bexeca`/.test(code) || /import\s*\{[^}]*(?<![\w$])\$(?![\w$])[^}]*\}\s*from\s*['"]execa['"]/.test(code)) offenders.push(`${f}: command-string form of execa`);
    }
    expect(offenders).toEqual([]);
  });

  it('every execa call passes its arguments as an array, never a command line string', () => {
    const calls: string[] = [];
    for (const f of files) {
      const code = readFileSync(f, 'utf8');
      for (const m of code.matchAll(/\bexeca(Sync)?\(([^;]*?)\)/gs)) calls.push(`${relative(ROOT, f)}: ${m[2]!.replace(/\s+/g, ' ').slice(0, 120)}`);
    }
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (const c of calls) {
      // execa(file, [args…] | args, {…}): a second argument that is an array literal or an array variable
      expect(c, c).toMatch(/^[^:]+: [^,]+, (\[|args\b|\[\.\.\.)/);
      // and the file is never a string with a space in it (which would be a command line)
      expect(c, c).not.toMatch(/^[^:]+: ['"`][^'"`]* [^'"`]*['"`]/);
    }
  });
});

describe('paths never leave the output folder', () => {
  it('writeRunFile - an experiment id "../../etc/x" is refused, nothing is written above the folder', () => {
    const top = tmp();
    const dir = join(top, 'a', 'b');
    mkdirSync(dir, { recursive: true });
    const run = JSON.parse(readFileSync(RUN_FIXTURE, 'utf8')) as Run;
    for (const id of ['../../etc/x', '/etc/x', 'a/b', '..', '.hidden', 'x\0y', '']) {
      const evil = { ...run, experiment: { ...run.experiment, id } };
      expect(() => writeRunFile(evil, dir), JSON.stringify(id)).toThrow(RangeError);
    }
    expect(filesUnder(top, top)).toEqual([]);
    // a plain id is still written where it belongs
    expect(writeRunFile(run, dir)).toBe(join(dir, `${run.experiment.id}.json`));
  });

  it('report - a Run file naming experiment "../../etc/x" writes its reports only inside --out', async () => {
    const top = tmp();
    const inputDir = join(top, 'in');
    const out = join(top, 'deep', 'out');
    mkdirSync(inputDir);
    const run = JSON.parse(readFileSync(RUN_FIXTURE, 'utf8')) as Run;
    run.experiment.id = '../../etc/x';
    run.variants.forEach((v) => (v.variant = '../../../tmp/evil'));
    writeFileSync(join(inputDir, 'evil.json'), JSON.stringify(run));
    const r = await rsslab(['report', join(inputDir, 'evil.json'), '--out', out]);
    // the names in the Run choose no path: the reports are drawn, under their fixed names, inside --out
    expect(r.exitCode, r.stderr).toBe(0);
    const files = filesUnder(top, top);
    expect(files.sort()).toEqual([join('deep', 'out', 'report.html'), join('deep', 'out', 'samples.csv'), join('deep', 'out', 'summary.md'), join('in', 'evil.json')].sort());
    expect(existsSync(join(top, 'etc'))).toBe(false);
  });
});

describe.skipIf(warnSkip(!isRoot, 'the root-owned state directory /run/rsslab is only used as root'))('where the journal and lock live (root)', () => {
  it('/run/rsslab - a real directory (not a link), owned by root, mode 0700; journals and lock files 0600', () => {
    expect(defaultStateDir()).toBe('/run/rsslab');
    stateDir({ env: {} }); // creates it the way a run does, if no run has yet
    const st = lstatSync('/run/rsslab');
    expect(st.isSymbolicLink()).toBe(false);
    expect(st.isDirectory()).toBe(true);
    expect(st.uid).toBe(0);
    expect((st.mode & 0o777).toString(8)).toBe('700');
    for (const name of readdirSync('/run/rsslab')) {
      const f = statSync(join('/run/rsslab', name), { throwIfNoEntry: false });
      if (!f || !f.isFile()) continue;
      expect(f.uid, name).toBe(0);
      expect((f.mode & 0o077).toString(8), `${name} must not be readable or writable by others`).toBe('0');
    }
  });
});
