import { describe, it, expect } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const rsslab = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true', ...env } });
const tmp = () => mkdtempSync(join(tmpdir(), 'rsslab-cli-'));

describe('rsslab CLI - usage', () => {
  it('list - shows all five experiments with their variants', async () => {
    const r = await rsslab(['list']);
    expect(r.exitCode).toBe(0);
    for (const id of ['thp-khugepaged', 'madv-free', 'faiss-cycles', 'runtime-heap', 'fragmentation']) expect(r.stdout).toContain(id);
    expect(r.stdout).toMatch(/\* default/);
  });
  it('run - unknown experiment exits 2 and names the valid ones', async () => {
    const r = await rsslab(['run', 'thp-khugepagd']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown experiment "thp-khugepagd".*thp-khugepaged, madv-free/);
  });
  it('run - unknown variant exits 2 and names the variants', async () => {
    const r = await rsslab(['run', 'madv-free', '--variant', 'nope', '--out', tmp()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no variant "nope".*dontneed, free/);
  });
  it('run - malformed numbers exit 2 with the rule', async () => {
    for (const [args, msg] of [
      [['--repeat', '0'], /--repeat must be a whole number/],
      [['--repeat', 'two'], /--repeat must be a whole number/],
      [['--interval', '-5'], /not a duration|at least 2 ms/],
      [['--interval', '1'], /at least 2 ms/],
      [['--param', 'regionBytes=lots'], /not a size/],
      [['--param', 'nosuch=1'], /has no parameter "nosuch"/],
    ] as Array<[string[], RegExp]>) {
      const r = await rsslab(['run', 'madv-free', '--quick', '--out', tmp(), ...args]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
  });
  it('run - unknown flag exits 2', async () => {
    const r = await rsslab(['run', 'madv-free', '--tune-sytem']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--tune-sytem'/);
  });
  it('run - an output folder that cannot be written exits 2 and says --out', async () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, 'x');
    const r = await rsslab(['run', 'madv-free', '--quick', '--out', join(file, 'sub')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot write to the output folder.*--out DIR/);
  });
  it('report - a corrupt or truncated Run exits 2, names the file, writes nothing', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'cut.json'), '{"schema":"rsslab.run","schemaVersion":1,"varia');
    const out = join(dir, 'out');
    const r = await rsslab(['report', join(dir, 'cut.json'), '--out', out]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cut\.json/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
  it('report - a missing file exits 2', async () => {
    const r = await rsslab(['report', '/nonexistent/run.json']);
    expect(r.exitCode).toBe(2);
  });
  it('watch - without a command or pid exits 2', async () => {
    const r = await rsslab(['watch', '--out', tmp()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/give a command after --/);
  });
  it('doctor - reports the kernel and what each finding means', async () => {
    const r = await rsslab(['doctor', '--json']);
    expect(r.exitCode).toBe(0);
    const d = JSON.parse(r.stdout) as { machine: { kernel: string }; findings: Array<{ what: string; meaning: string }> };
    expect(d.machine.kernel.length).toBeGreaterThan(0);
    expect(d.findings.find((f) => f.what === 'MADV_FREE')?.meaning).toMatch(/madv-free/);
  });
});
