// Shared by the safety tests: the CLI as a real process, the machine's knobs read while holding
// rsslab's lock (so no other run's changes are in force at that moment), every rsslab cgroup on the
// machine, and the experiment children of a given `rsslab run`, found through /proc.
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotKnobs, type KnobSnapshot } from '../../src/system/knobs.js';
import { withSystemLock } from '../../src/system/lock.js';

export const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
export const MEMCG = '/sys/fs/cgroup/memory';
export const isRoot = process.getuid?.() === 0;

export function warnSkip(cond: boolean, why: string): boolean {
  if (cond) console.warn(`skipped: ${why}`);
  return cond;
}

export const tmp = (prefix = 'rsslab-safety-'): string => mkdtempSync(join(tmpdir(), prefix));
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function rsslab(args: string[], env: Record<string, string> = {}): ResultPromise<{ reject: false; env: Record<string, string> }> {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true', ...env } });
}

export function journals(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('journal-')) : [];
}

/** Every memory cgroup with "rsslab" in its name, anywhere under the v1 memory hierarchy. */
export function rsslabCgroups(root = MEMCG): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name.includes('rsslab')) out.push(p);
      walk(p);
    }
  };
  walk(root);
  return out;
}

/**
 * The machine's knobs at a moment when no rsslab run holds the lock: every rsslab session changes
 * knobs only while it holds it, so with the lock in hand the values are the machine's own.
 */
export async function knobsAtRest(): Promise<KnobSnapshot> {
  return withSystemLock(() => snapshotKnobs(), { waitMs: 15 * 60_000 });
}

/** And the rsslab cgroups that exist at such a moment (there should be none). */
export async function atRest(): Promise<{ knobs: KnobSnapshot; cgroups: string[] }> {
  return withSystemLock(() => ({ knobs: snapshotKnobs(), cgroups: rsslabCgroups() }), { waitMs: 15 * 60_000 });
}

function ppidOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** Live experiment children (dist/src/lab/child.js) of the `rsslab run` with this pid. */
export function experimentChildren(parentPid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (ppidOf(pid) !== parentPid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/src/lab/child.js')) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Calls `onLine` for every stdout line of a running CLI. */
export function onLines(child: ResultPromise, onLine: (line: string) => void): void {
  let rest = '';
  child.stdout?.on('data', (d: Buffer) => {
    rest += d.toString();
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  });
}

export async function waitFor(cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(stepMs);
  }
  return cond();
}

/** Small deterministic PRNG (mulberry32, the one compare uses): kill moments random but reproducible from the seed printed. */
export { seeded as prng } from '../../src/check/permutation.js';
