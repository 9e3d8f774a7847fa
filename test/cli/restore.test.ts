// Killing `rsslab run` while it has changed knobs: INT/TERM restore at once; after KILL the journal
// is still there and `rsslab restore` (or the next run) puts everything back. Needs root.
import { describe, it, expect } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withSystemLock } from '../../src/system/lock.js';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const SLEEP = '/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs';
const isRoot = process.getuid?.() === 0;
const canWrite = isRoot && existsSync(SLEEP);
if (!canWrite) console.warn('skipped: restore tests need root and THP knobs (they kill a run that changed khugepaged settings)');

const read = (p: string) => readFileSync(p, 'utf8').trim();
// The machine's own value, read under rsslab's lock: another test's run may have khugepaged sped up
// at this very moment, and its value is not the one ours must restore.
const settled = () => withSystemLock(() => read(SLEEP), { waitMs: 15 * 60_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const journals = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('journal-')) : []);
/** cgroups the run with this pid made (other tests may have cgroups of their own meanwhile) */
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

async function startRunAndWaitForKnob(state: string, original: string) {
  const child = execa(process.execPath, [CLI, 'run', 'thp-khugepaged', '--quick', '--tune-system', '--variant', 'default', '--out', mkdtempSync(join(tmpdir(), 'rsslab-out-'))], {
    reject: false,
    env: { CI: 'true', RSSLAB_STATE_DIR: state },
  });
  // The run may first wait for rsslab's lock (other tests change knobs too).
  for (let i = 0; i < 1200; i++) {
    if (journals(state).length > 0 && read(SLEEP) !== original) return { child };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  child.kill('SIGKILL');
  const r = await child;
  throw new Error(`the run never changed scan_sleep_millisecs (exit ${r.exitCode ?? r.signal}): ${String(r.stderr).slice(-800)}`);
}

describe.skipIf(!canWrite)('rsslab run killed mid-way', () => {
  it('SIGKILL - knobs stay changed with a journal; `rsslab restore` brings every value back', async () => {
    const original = await settled();
    const state = mkdtempSync(join(tmpdir(), 'rsslab-state-'));
    const { child } = await startRunAndWaitForKnob(state, original);
    child.kill('SIGKILL');
    const r = await child;
    expect(r.signal).toBe('SIGKILL');
    // Nobody restored yet — unless another rsslab session took over the dead run's lock in the
    // meantime, which restores the journal too (then the knob is already back).
    const restoredByOther = journals(state).length === 0;
    if (!restoredByOther) expect(read(SLEEP)).not.toBe(original);
    const restore = await execa(process.execPath, [CLI, 'restore'], { reject: false, env: { CI: 'true', RSSLAB_STATE_DIR: state } });
    expect(restore.exitCode, restore.stderr).toBe(0);
    if (!restoredByOther) expect(restore.stdout).toMatch(/restored/);
    expect(read(SLEEP)).toBe(original);
    expect(journals(state)).toEqual([]);
    expect(ourCgroups(child.pid!)).toEqual([]);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} - the run restores every knob itself before it dies`, async () => {
      const original = await settled();
      const state = mkdtempSync(join(tmpdir(), 'rsslab-state-'));
      const { child } = await startRunAndWaitForKnob(state, original);
      child.kill(signal);
      const r = await child;
      expect(r.signal ?? r.exitCode).toBeTruthy();
      expect(read(SLEEP)).toBe(original);
      expect(journals(state)).toEqual([]);
      expect(ourCgroups(child.pid!)).toEqual([]);
    });
  }

  it('SIGKILL - whoever takes over the dead run’s lock restores its journal, even from another state dir', async () => {
    const original = await settled();
    const state = mkdtempSync(join(tmpdir(), 'rsslab-state-'));
    const other = mkdtempSync(join(tmpdir(), 'rsslab-state-'));
    const { child } = await startRunAndWaitForKnob(state, original);
    child.kill('SIGKILL');
    await child;
    const restore = await execa(process.execPath, [CLI, 'restore'], { reject: false, env: { CI: 'true', RSSLAB_STATE_DIR: other } });
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(read(SLEEP)).toBe(original);
    expect(journals(state)).toEqual([]);
  });

  it('restore - with nothing to restore says so and exits 0', async () => {
    const state = mkdtempSync(join(tmpdir(), 'rsslab-state-'));
    const r = await execa(process.execPath, [CLI, 'restore'], { reject: false, env: { CI: 'true', RSSLAB_STATE_DIR: state } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/nothing to restore/);
  });
});
