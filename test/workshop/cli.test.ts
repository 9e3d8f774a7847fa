// `rsslab workshop` as a user runs it (the compiled CLI in its own process): it prints its URL,
// Enter on the terminal is "Next", and Ctrl-C in the middle of a step pause ends the process with
// 130, the measured child with it, and closes the server.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CHILD_MISSING } from '../report/real-run.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
const WORKSHOP_JS = fileURLToPath(new URL('../../dist/src/cli/workshop.js', import.meta.url));
const skipReason = CHILD_MISSING ?? (existsSync(WORKSHOP_JS) ? null : `${WORKSHOP_JS} is missing: run \`npm run build\` first`);
if (skipReason) console.warn(`workshop CLI test skipped: ${skipReason}`);

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (list) out.push(...list.split(/\s+/).map(Number));
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    // a zombie is dead for our purpose: it holds no memory and runs nothing
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe.skipIf(skipReason !== null)('rsslab workshop (CLI)', () => {
  const dirs: string[] = [];
  let proc: ChildProcessWithoutNullStreams | null = null;
  afterAll(() => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('workshop - Enter is Next; Ctrl-C mid-pause exits 130, kills the child and closes the server', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rsslab-workshop-cli-'));
    dirs.push(out);
    proc = spawn(process.execPath, [CLI, 'workshop', 'madv-free', '--quick', '--variant', 'dontneed', '--step', '--port', '0', '--out', out], { stdio: 'pipe' });
    let stdout = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (c: string) => (stdout += c));
    proc.stderr.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => proc!.on('exit', (code, signal) => resolve({ code, signal })));
    const waitOut = async (re: RegExp, ms = 60_000): Promise<RegExpExecArray> => {
      const until = Date.now() + ms;
      for (;;) {
        const m = re.exec(stdout);
        if (m) return m;
        if (Date.now() > until || proc!.exitCode !== null) throw new Error(`no ${re} in:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    const url = await waitOut(/open (http:\/\/127\.0\.0\.1:(\d+)\/)/);
    const port = Number(url[2]);
    await waitOut(/before phase "map"/);
    proc.stdin.write('\n');
    await waitOut(/before phase "touch"/);

    const kids = childrenOf(proc.pid!).filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('child.js'));
    expect(kids).toHaveLength(1);
    const child = kids[0]!;
    expect(alive(child)).toBe(true);

    proc.kill('SIGINT');
    const { code } = await exited;
    console.log(`workshop exited ${code} after SIGINT; measured child ${child} alive: ${alive(child)}`);
    expect(code).toBe(130);
    expect(stdout).toContain('SIGINT: stopping the run');
    for (let i = 0; i < 50 && alive(child); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(child)).toBe(false);
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('workshop - an unknown experiment is a usage error before any server starts', async () => {
    const p = spawn(process.execPath, [CLI, 'workshop', 'no-such-thing'], { stdio: 'pipe' });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    let outText = '';
    p.stdout.on('data', (c: Buffer) => (outText += c.toString()));
    const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/unknown experiment "no-such-thing"/);
    expect(outText).not.toContain('http://');
  });
});
