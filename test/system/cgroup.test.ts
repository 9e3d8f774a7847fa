import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupSupport, createCgroup, type CgroupSandbox } from '../../src/system/cgroup.js';
import { parseCgroupMounts, parseProcCgroup } from '../../src/probe/cgroup.js';
import { Journal } from '../../src/system/journal.js';
import { withSystemLock } from '../../src/system/lock.js';
import { CHILDREN, FIXTURES, fixtureTree, isRoot, journalFiles, removeTree, skipReason, sweepCgroups, tempStateDir } from './helpers.js';

const MiB = 1024 * 1024;
const cleanups: string[] = [];
const sandboxes: CgroupSandbox[] = [];
afterEach(() => {
  // always, even when an assertion failed mid-test: no rsslab cgroup may outlive the test
  for (const sandbox of sandboxes.splice(0)) sandbox.remove();
  const parent = cgroupSupport().parent;
  if (parent !== null) sweepCgroups(parent, [process.pid]);
  for (const dir of cleanups.splice(0)) removeTree(dir);
});

function scratchState(): string {
  const dir = tempStateDir();
  cleanups.push(dir);
  return dir;
}

describe('cgroup parsers (captured on this machine)', () => {
  it('parseProcCgroup - v1 memory path and the v2 "0::" path', () => {
    const parsed = parseProcCgroup(readFileSync(join(FIXTURES, 'hybrid-v1/proc/self/cgroup'), 'utf8'));
    expect(parsed.v1.get('memory')).toBe('/process_api/0859e5f36f800de107d8aad21e2a2bd3');
    expect(parsed.v1.get('name=systemd')).toBe('/');
    expect(parsed.v2).toBe('/');
  });

  it('parseCgroupMounts - finds the v1 memory hierarchy (its mount root too) and the unified mount', () => {
    const mounts = parseCgroupMounts(readFileSync(join(FIXTURES, 'hybrid-v1/proc/self/mountinfo'), 'utf8'));
    expect(mounts).toEqual({ v1Memory: '/sys/fs/cgroup/memory', v1MemoryRoot: '/', v2: '/sys/fs/cgroup/unified', v2Root: '/' });
  });

  it('cgroupSupport - prefers v1 memory on a hybrid machine and says when our cgroup is not visible', () => {
    const support = cgroupSupport({ root: join(FIXTURES, 'hybrid-v1') });
    expect(support.version).toBe(1);
    expect(support.canCreate).toBe(false);
    expect(support.reason).toMatch(/not visible/);
  });
});

describe('cgroup v2', () => {
  it('create - memory.max written, process added, usage read, remove moves it back and rmdirs (fixture tree)', () => {
    const root = fixtureTree('cgroup-v2');
    const state = tempStateDir();
    cleanups.push(root, state);
    const support = cgroupSupport({ root });
    expect(support).toEqual({
      version: 2,
      canCreate: true,
      reason: expect.stringMatching(/cgroup v2/) as unknown as string,
      parent: join(root, 'sys/fs/cgroup'),
      layout: 'v2',
      mode: 'v2-ready', // the root cgroup: exempt from the no-internal-processes rule
    });

    const journal = new Journal(state);
    const sandbox = createCgroup({ root, limitBytes: 64 * MiB, journal });
    sandboxes.push(sandbox);
    expect(sandbox.version).toBe(2);
    expect(sandbox.path.startsWith(join(root, 'sys/fs/cgroup', `rsslab-${process.pid}-`))).toBe(true);
    expect(readFileSync(join(sandbox.path, 'memory.max'), 'utf8').trim()).toBe(String(64 * MiB));
    // journaled before creation, so restore after a SIGKILL finds it
    const onDisk = JSON.parse(readFileSync(journal.path, 'utf8')) as { cgroups: Array<{ path: string; version: number }> };
    expect(onDisk.cgroups).toEqual([{ path: sandbox.path, version: 2, parent: join(root, 'sys/fs/cgroup') }]);

    sandbox.addProcess(4242);
    expect(sandbox.pids()).toEqual([4242]);
    const removal = sandbox.remove();
    expect(removal).toMatchObject({ ok: true, movedPids: [4242] });
    expect(readFileSync(join(root, 'sys/fs/cgroup/cgroup.procs'), 'utf8').trim()).toBe('4242');
    expect(existsSync(sandbox.path)).toBe(false);
    expect(journalFiles(state)).toEqual([]);
    expect(sandbox.remove().ok).toBe(true); // idempotent
  });

  it('cgroupSupport - v2 without memory in subtree_control cannot create, and says how to get it (fixture tree)', () => {
    const support = cgroupSupport({ root: join(FIXTURES, 'v2-no-memory') });
    expect(support.version).toBe(2);
    expect(support.canCreate).toBe(false);
    expect(support.reason).toMatch(/not enabled for children .*subtree_control.*Delegate=yes/);
    expect(() => createCgroup({ root: join(FIXTURES, 'v2-no-memory'), limitBytes: 64 * MiB, journal: new Journal(scratchState()) })).toThrow(
      /cannot create a memory cgroup: the memory controller is not enabled/,
    );
  });

  it('createCgroup - limitBytes below 1 MiB or fractional is a RangeError before anything is created', () => {
    const root = fixtureTree('cgroup-v2');
    cleanups.push(root);
    const journal = new Journal(scratchState());
    expect(() => createCgroup({ root, limitBytes: 1000, journal })).toThrow(RangeError);
    expect(() => createCgroup({ root, limitBytes: 64 * MiB + 0.5, journal })).toThrow(RangeError);
    expect(readdirSync(join(root, 'sys/fs/cgroup')).filter((n) => n.startsWith('rsslab'))).toEqual([]);
  });
});

const real = cgroupSupport();
describe('cgroup v1 on the real kernel', () => {
  it.skipIf(skipReason(!isRoot || real.version !== 1 || !real.canCreate, `no creatable cgroup v1 memory controller: ${real.reason}`))(
    'a 64 MiB cgroup OOM-kills a child allocating 200 MiB; peak usage stays within the limit; remove leaves nothing',
    // under rsslab's lock, as every run that makes a cgroup: other tests check "none left" under it
    () => withSystemLock(async () => {
      const state = tempStateDir();
      cleanups.push(state);
      const limitBytes = 64 * MiB;
      const sandbox = createCgroup({ limitBytes, journal: new Journal(state) });
      sandboxes.push(sandbox);
      expect(sandbox.path).toBe(join(real.parent ?? '', sandbox.path.split('/').pop() ?? ''));
      expect(sandbox.path).toMatch(/\/rsslab-\d+-\d+$/);
      expect(Number(readFileSync(join(sandbox.path, 'memory.limit_in_bytes'), 'utf8'))).toBe(limitBytes);
      if (existsSync(join(sandbox.path, 'memory.memsw.limit_in_bytes'))) {
        expect(Number(readFileSync(join(sandbox.path, 'memory.memsw.limit_in_bytes'), 'utf8'))).toBe(limitBytes);
      }

      const child = execa('node', [join(CHILDREN, 'system-cgroup-hog.mjs'), String(200 * MiB)], { reject: false, stdin: 'pipe' });
      try {
        await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
        sandbox.addProcess(child.pid ?? -1);
        expect(sandbox.pids()).toContain(child.pid);
        child.stdin?.write('go\n');
        const result = await child;
        const usage = sandbox.usage();
        const memory = sandbox.memory();
        expect(memory.usageBytes).toBeLessThanOrEqual(limitBytes);
        console.log(`v1 cgroup: child ended by ${result.signal ?? `exit ${result.exitCode}`}, peak ${usage.peakBytes} bytes of ${limitBytes}, oom_kill ${usage.oomKills}`);
        expect(String(result.stdout)).not.toMatch(/done/);
        expect(result.signal).toBe('SIGKILL');
        expect(usage.peakBytes).not.toBeNull();
        expect(usage.peakBytes ?? Infinity).toBeLessThanOrEqual(limitBytes);
        // memory.oom_control's oom_kill (Linux 4.13+): the one child, killed once
        expect(usage.oomKills).toBe(1);
      } finally {
        child.kill('SIGKILL');
      }
      const removal = sandbox.remove();
      expect(removal.ok).toBe(true);
      expect(existsSync(sandbox.path)).toBe(false);
      expect(readdirSync(real.parent ?? '').filter((n) => n.startsWith(`rsslab-${process.pid}-`))).toEqual([]);
      expect(journalFiles(state)).toEqual([]);
    }, { waitMs: 15 * 60_000 }),
  );

  it.skipIf(skipReason(!isRoot || !real.canCreate, `no creatable memory cgroup: ${real.reason}`))(
    'remove - moves a live process back to the parent, then rmdirs',
    async () => {
      const sandbox = createCgroup({ limitBytes: 256 * MiB, journal: new Journal(scratchState()) });
      sandboxes.push(sandbox);
      const child = execa('node', [join(CHILDREN, 'system-cgroup-hog.mjs'), String(MiB)], { reject: false, stdin: 'pipe' });
      try {
        await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
        sandbox.addProcess(child.pid ?? -1);
        const removal = sandbox.remove();
        expect(removal).toMatchObject({ ok: true, movedPids: [child.pid] });
        expect(existsSync(sandbox.path)).toBe(false);
        expect(readFileSync(join(real.parent ?? '', 'cgroup.procs'), 'utf8').split('\n')).toContain(String(child.pid));
      } finally {
        child.kill('SIGKILL');
        await child;
      }
    },
  );
});
