// Killing `rsslab run` while it has changed knobs: INT/TERM restore at once; after KILL the journal
// is still there and `rsslab restore`, the next run (tuned or not) or any other command puts
// everything back, and says so. Tested in isolation: this test holds rsslab's machine-wide lock for
// the whole case (no other rsslab process may change or restore knobs meanwhile) and runs the killed
// run and the next command with a private lock (RSSLAB_LOCK_PATH) and state dir, so the only process
// that can restore the dead run's journal is the one under test. Knobs are read directly, without
// taking any lock. Needs root.
import { describe, it, expect } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withSystemLock } from '../../src/system/lock.js';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const SLEEP = '/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs';
const isRoot = process.getuid?.() === 0;
const canWrite = isRoot && existsSync(SLEEP) && existsSync('/sys/fs/cgroup/memory');
if (!canWrite) console.warn('skipped: restore tests need root, THP knobs and the v1 memory controller (they kill a run that changed khugepaged settings)');

const read = (p: string) => readFileSync(p, 'utf8').trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const journals = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('journal-')) : []);
/** cgroups the run with this pid made */
const ourCgroups = (pid: number) => {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 4 || !existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith(`rsslab-${pid}-`)) out.push(join(d, e.name));
      walk(join(d, e.name), depth + 1);
    }
  };
  walk('/sys/fs/cgroup/memory', 0);
  return out;
};

/** A private world: its own lock and state dir, while the test holds the machine-wide lock. */
function isolated() {
  const lockDir = tmp('rsslab-lock-');
  return { RSSLAB_LOCK_PATH: join(lockDir, 'knobs.lock'), RSSLAB_STATE_DIR: tmp('rsslab-state-') };
}

function cli(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true', ...env } });
}

/** Starts a tuned run (pressure: knobs AND a memory cgroup) and waits until both exist. */
async function startRunAndWaitForChanges(env: Record<string, string>, original: string) {
  const child = cli(['run', 'thp-khugepaged', '--quick', '--tune-system', '--variant', 'pressure', '--format', 'md', '--out', tmp('rsslab-out-')], env);
  for (let i = 0; i < 1200; i++) {
    if (journals(env.RSSLAB_STATE_DIR!).length > 0 && read(SLEEP) !== original && ourCgroups(child.pid!).length > 0) return { child };
    if (child.exitCode !== null) break;
    await sleep(25);
  }
  child.kill('SIGKILL');
  const r = await child;
  throw new Error(`the run never changed scan_sleep_millisecs and made its cgroup (exit ${r.exitCode ?? r.signal}): ${String(r.stderr).slice(-800)}`);
}

/** Kills a tuned run with SIGKILL and checks that nothing was restored by anyone. */
async function killedRun(env: Record<string, string>, original: string) {
  const { child } = await startRunAndWaitForChanges(env, original);
  child.kill('SIGKILL');
  const r = await child;
  expect(r.signal).toBe('SIGKILL');
  // nobody can have restored: the test holds the machine lock and the private lock is the dead run's
  expect(read(SLEEP)).not.toBe(original);
  expect(journals(env.RSSLAB_STATE_DIR!)).toHaveLength(1);
  expect(ourCgroups(child.pid!)).toHaveLength(1);
  return child.pid!;
}

const machineLock = { waitMs: 15 * 60_000 };

describe.skipIf(!canWrite)('rsslab run killed mid-way (isolated: private lock, machine lock held by the test)', () => {
  it('SIGKILL - knobs and cgroup stay with a journal; `rsslab restore` brings every value back and says so', { timeout: 10 * 60_000 }, async () => {
    await withSystemLock(async () => {
      const original = read(SLEEP);
      const env = isolated();
      const pid = await killedRun(env, original);
      const restore = await cli(['restore'], env);
      expect(restore.exitCode, restore.stderr).toBe(0);
      expect(restore.stdout).toMatch(new RegExp(`restored: restored journal of pid ${pid} .*scan_sleep_millisecs=${original}.*removed .*rsslab-${pid}-`));
      expect(read(SLEEP)).toBe(original);
      expect(journals(env.RSSLAB_STATE_DIR)).toEqual([]);
      expect(ourCgroups(pid)).toEqual([]);
    }, machineLock);
  });

  it('SIGKILL - the next run WITHOUT --tune-system restores knobs and cgroup first, and says so on stderr', { timeout: 10 * 60_000 }, async () => {
    await withSystemLock(async () => {
      const original = read(SLEEP);
      const env = isolated();
      const pid = await killedRun(env, original);
      // another state dir: the dead run's is found through the lock file it died holding
      const next = await cli(['run', 'madv-free', '--quick', '--variant', 'dontneed', '--format', 'md', '--out', tmp('rsslab-out-')], { ...env, RSSLAB_STATE_DIR: tmp('rsslab-state-') });
      expect(next.exitCode, next.stderr).toBeLessThanOrEqual(1);
      const lines = String(next.stderr).split('\n').filter((l) => l.startsWith('rsslab: first put back'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`restored journal of pid ${pid} .*scan_sleep_millisecs=${original}.*removed .*rsslab-${pid}-`));
      expect(read(SLEEP)).toBe(original);
      expect(journals(env.RSSLAB_STATE_DIR)).toEqual([]);
      expect(ourCgroups(pid)).toEqual([]);
    }, machineLock);
  });

  it('SIGKILL - any command (`rsslab list`) restores first and says so; with nothing left it says nothing', { timeout: 10 * 60_000 }, async () => {
    await withSystemLock(async () => {
      const original = read(SLEEP);
      const env = isolated();
      const pid = await killedRun(env, original);
      const list = await cli(['list'], env);
      expect(list.exitCode, list.stderr).toBe(0);
      expect(list.stderr).toMatch(new RegExp(`^rsslab: first put back what a run that died left behind: restored journal of pid ${pid} `));
      expect(read(SLEEP)).toBe(original);
      expect(ourCgroups(pid)).toEqual([]);
      const again = await cli(['list'], env);
      expect(again.stderr).toBe('');
    }, machineLock);
  });

  it('a command started while a live run holds the lock does not wait: one line says a run is in progress', { timeout: 10 * 60_000 }, async () => {
    await withSystemLock(async () => {
      const original = read(SLEEP);
      const env = isolated();
      const { child } = await startRunAndWaitForChanges(env, original);
      try {
        const started = Date.now();
        const list = await cli(['list'], env);
        expect(list.exitCode).toBe(0);
        expect(list.stderr).toMatch(new RegExp(`^rsslab: a run is in progress \\(pid ${child.pid} `));
        expect(Date.now() - started).toBeLessThan(30_000);
      } finally {
        child.kill('SIGTERM');
        await child;
      }
      expect(read(SLEEP)).toBe(original);
    }, machineLock);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} - the run restores every knob and removes its cgroup itself before it dies`, { timeout: 10 * 60_000 }, async () => {
      await withSystemLock(async () => {
        const original = read(SLEEP);
        const env = isolated();
        const { child } = await startRunAndWaitForChanges(env, original);
        child.kill(signal);
        const r = await child;
        expect(r.signal ?? r.exitCode).toBeTruthy();
        expect(read(SLEEP)).toBe(original);
        expect(journals(env.RSSLAB_STATE_DIR)).toEqual([]);
        expect(ourCgroups(child.pid!)).toEqual([]);
      }, machineLock);
    });
  }

  it('restore - with nothing to restore says so and exits 0', async () => {
    const r = await cli(['restore'], isolated());
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/nothing to restore/);
  });
});
