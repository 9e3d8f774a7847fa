// Test-only helpers for the C heap tests: the process's RSS as the kernel reports it, read directly
// (src/probe has the real readers; these tests do not depend on them), and MiB for messages.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MiB = 1024 * 1024;
export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** VmRSS of this process, bytes */
export function rssBytes(): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (m?.[1] === undefined) throw new Error('no VmRSS line in /proc/self/status');
  return Number(m[1]) * 1024;
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const childrenDir = join(repoRoot, 'test', 'fixtures', 'children');

function spawnJson<T>(command: string, args: string[], env: Record<string, string>, what: string): T {
  const compiled = join(repoRoot, 'dist', 'src', 'core', 'heap.js');
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npx tsc -p tsconfig.json\` first (npm test does, in pretest)`);
  const r = spawnSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`child ${what} (${JSON.stringify(env)}) exited ${r.status ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Run a child script from test/fixtures/children with extra env; it prints one JSON document on stdout. */
export function runChild<T>(script: string, env: Record<string, string>, args: string[] = []): T {
  return spawnJson<T>(process.execPath, [join(childrenDir, script), ...args], env, script);
}

/**
 * The same, under `prlimit --as=…` (RLIMIT_AS) set to a bare node's address space plus `headroomBytes`, to make
 * malloc and pthread_create fail for real. Node's own reservation (V8 cages) differs between builds, hence relative.
 */
export function runChildLimited<T>(script: string, headroomBytes: number, args: string[] = []): T {
  const probe = spawnSync(process.execPath, ['-p', "/^VmSize:\\s+(\\d+) kB/m.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1]"], { encoding: 'utf8' });
  const baseBytes = Number(probe.stdout.trim()) * 1024;
  if (!(baseBytes > 0)) throw new Error(`could not read a bare node's VmSize: ${probe.stderr}`);
  return spawnJson<T>('prlimit', [`--as=${baseBytes + headroomBytes}`, process.execPath, join(childrenDir, script), ...args], {}, `${script} under prlimit`);
}
runChildLimited.available = (): boolean => spawnSync('prlimit', ['--version']).status === 0;
