// Runs one case of test/core/children/native-case.ts in its own process and returns how it ended:
// a crash in the addon is the child's signal, a hang is the timeout, never the test runner dying.
import { execa } from 'execa';

export interface ChildEnd<T> {
  signal: string | null;
  exitCode: number | undefined;
  timedOut: boolean;
  stderr: string;
  stdout: string;
  out: T | null;
}

export async function runNativeCase<T>(args: string[], options: { nodeFlags?: string[]; timeoutMs?: number } = {}): Promise<ChildEnd<T>> {
  const r = await execa(process.execPath, ['--expose-gc', ...(options.nodeFlags ?? []), 'node_modules/vite-node/vite-node.mjs', 'test/core/children/native-case.ts', ...args], {
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  let out: T | null = null;
  try {
    out = JSON.parse(last) as T;
  } catch {
    out = null;
  }
  return { signal: r.timedOut ? null : (r.signal ?? null), exitCode: r.exitCode, timedOut: r.timedOut === true, stderr: r.stderr, stdout: r.stdout, out };
}
