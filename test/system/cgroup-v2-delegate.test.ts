// cgroup v2 on a unified hierarchy, where rsslab gives its children the memory controller itself:
// it moves itself (and the commands that started it) to a leaf and enables +memory for the cgroup it
// was started in. This machine's memory controller is on v1, so every case here runs on a fixture
// tree laid out like /sys/fs/cgroup (cgroup-v2-tree.ts) and says so in its name.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupSupport } from '../../src/system/cgroup.js';
import { delegate, undoDelegation } from '../../src/system/cgroup-delegate.js';
import { Journal, restoreJournal } from '../../src/system/journal.js';
import { openSystemSession } from '../../src/system/session.js';
import { cgroupFinding } from '../../src/cli/doctor.js';
import { delegatedScope, unifiedTree } from './cgroup-v2-tree.js';
import { FIXTURES, journalFiles, removeTree, tempStateDir } from './helpers.js';

const MiB = 1024 * 1024;
const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) removeTree(dir);
});
function track<T extends { root: string }>(tree: T): T {
  cleanups.push(tree.root);
  return tree;
}
function scratch(): string {
  const dir = tempStateDir();
  cleanups.push(dir);
  return dir;
}
const text = (path: string): string => readFileSync(path, 'utf8').trim();
const SCOPE = 'system.slice/run-u12.scope';

describe('cgroup v2 delegation: what rsslab sees and plans (fixture tree)', () => {
  it('fixture: systemd-run --scope -p Delegate=yes - the scope holds npx, sh and rsslab; rsslab plans to move all three to its leaf and enable memory in the scope', () => {
    const t = track(delegatedScope(process.pid));
    const support = cgroupSupport({ root: t.root });
    expect(support).toMatchObject({ version: 2, layout: 'v2', mode: 'v2-delegate', canCreate: true, parent: t.dir(SCOPE) });
    expect(support.plan).toEqual({
      kind: 'delegate',
      home: t.dir(SCOPE),
      leaf: join(t.dir(SCOPE), `rsslab-self-${process.pid}`),
      movePids: [process.pid, 8, 7],
      enable: [t.dir(SCOPE)],
      controller: 'memory',
      reason: expect.stringMatching(/move itself and the 2 command\(s\) that started it/) as unknown as string,
    });
    const finding = cgroupFinding(support);
    expect(finding.ok).toBe(true);
    expect(finding.value).toMatch(/^cgroup v2 \(unified\): memory cgroups under .*run-u12\.scope after rsslab delegates it/);
    // planning wrote nothing
    expect(readdirSync(t.dir(SCOPE)).filter((n) => n.startsWith('rsslab'))).toEqual([]);
    expect(text(join(t.dir(SCOPE), 'cgroup.subtree_control'))).toBe('');
  });

  it('fixture: no internal processes - a cgroup that also holds other processes (a CI runner service) cannot enable memory; the reason names them, the rule and the fix', () => {
    const t = track(delegatedScope(process.pid, { scopeProcs: [7, 8, 900, process.pid], processes: [{ pid: 900, ppid: 1, comm: 'Runner.Worker' }] }));
    const support = cgroupSupport({ root: t.root });
    expect(support).toMatchObject({ version: 2, canCreate: false, mode: null });
    expect(support.reason).toMatch(/also holds pid 900 \(Runner\.Worker\).*no-internal-processes rule.*systemd-run --scope -p Delegate=yes/);
    expect(cgroupFinding(support).meaning).toMatch(/^memory-pressure variants are skipped: .*Runner\.Worker/);
  });

  it('fixture: not root - rsslab may not move itself or enable controllers; it says to run as root in a delegated cgroup', () => {
    const t = track(delegatedScope(process.pid));
    const support = cgroupSupport({ root: t.root, euid: 1000 });
    expect(support).toMatchObject({ version: 2, canCreate: false, mode: null });
    expect(support.reason).toMatch(/only root can enable it.*sudo.*Delegate=yes/);
  });

  it('fixture: memory controller missing upward - the root cgroup lacks memory (bound to v1, or cgroup_disable=memory): not available, and why', () => {
    const t = track(
      unifiedTree({
        self: '/system.slice/run-u3.scope',
        cgroups: [
          { path: '/', controllers: 'cpu io pids', subtree: 'cpu io pids', procs: [1] },
          { path: '/system.slice', controllers: 'cpu io pids', subtree: 'cpu io pids' },
          { path: '/system.slice/run-u3.scope', controllers: 'cpu io pids', procs: [process.pid] },
        ],
        processes: [{ pid: process.pid, ppid: 1, comm: 'node' }],
      }),
    );
    const support = cgroupSupport({ root: t.root });
    expect(support.canCreate).toBe(false);
    expect(support.reason).toMatch(new RegExp(`no memory controller in cgroup v2 at ${t.mount} .*cgroup_disable=memory`));
  });

  it('fixture: ancestors that do not hand memory down get it enabled top-down, when they hold no processes', () => {
    const self = '/user.slice/user-0.slice/session-4.scope';
    const cgroups = (sliceProcs: number[]) => [
      { path: '/', subtree: 'cpu io memory pids', procs: [1] },
      { path: '/user.slice', controllers: 'cpu io memory pids', subtree: 'pids' },
      { path: '/user.slice/user-0.slice', controllers: 'pids', subtree: 'pids', procs: sliceProcs },
      { path: self, controllers: 'pids', procs: [8, process.pid] },
    ];
    const processes = [{ pid: 8, ppid: 1, comm: 'bash' }, { pid: process.pid, ppid: 8, comm: 'node' }];
    const t = track(unifiedTree({ self, cgroups: cgroups([]), processes }));
    const support = cgroupSupport({ root: t.root });
    expect(support.mode).toBe('v2-delegate');
    expect(support.plan?.enable).toEqual([t.dir('/user.slice'), t.dir('/user.slice/user-0.slice'), t.dir(self)]);

    const busy = track(unifiedTree({ self, cgroups: cgroups([555]), processes }));
    const refused = cgroupSupport({ root: busy.root });
    expect(refused.canCreate).toBe(false);
    expect(refused.reason).toMatch(/the ancestor .*user-0\.slice does not hand the memory controller down and holds processes itself/);
  });

  it('fixture: a threaded cgroup cannot take memory (a domain controller); the root cgroup with memory on is ready as it is', () => {
    const t = track(delegatedScope(process.pid));
    writeFileSync(join(t.dir(SCOPE), 'cgroup.type'), 'threaded\n');
    expect(cgroupSupport({ root: t.root }).reason).toMatch(/"threaded" cgroup .*domain controller/);
    const ready = cgroupSupport({ root: join(FIXTURES, 'cgroup-v2') });
    expect(ready).toMatchObject({ canCreate: true, mode: 'v2-ready', layout: 'v2' });
    expect(cgroupFinding(ready).value).toMatch(/where memory is already on for children/);
  });

  it('fixture: a container\'s cgroup namespace root (docker --cgroupns=private, nsdelegate) - not the root cgroup, so the rule applies: init, sh and rsslab move to the leaf', () => {
    const t = track(
      unifiedTree({
        self: '/',
        cgroups: [{ path: '/', type: 'domain', controllers: 'cpu io memory pids', procs: [1, 30, process.pid] }],
        processes: [
          { pid: 1, ppid: 0, comm: 'tini' },
          { pid: 30, ppid: 1, comm: 'sh' },
          { pid: process.pid, ppid: 30, comm: 'node' },
        ],
      }),
    );
    const support = cgroupSupport({ root: t.root });
    expect(support).toMatchObject({ mode: 'v2-delegate', parent: t.mount });
    expect(support.plan).toMatchObject({ leaf: join(t.mount, `rsslab-self-${process.pid}`), movePids: [process.pid, 30, 1], enable: [t.mount] });
    // the host gave the namespace no memory controller: nothing rsslab can do from inside
    writeFileSync(join(t.mount, 'cgroup.controllers'), 'cpu io pids\n');
    expect(cgroupSupport({ root: t.root }).reason).toMatch(/no memory controller in cgroup v2 .*not given to this container by its host/);
  });

  it('fixture: hybrid and v1 layouts are told apart from the unified one', () => {
    expect(cgroupSupport({ root: join(FIXTURES, 'hybrid-v1') })).toMatchObject({ layout: 'hybrid', version: 1 });
    expect(cgroupSupport({ root: join(FIXTURES, 'v2-no-memory') })).toMatchObject({ layout: 'v2', version: 2, canCreate: false });
  });
});

describe('cgroup v2 delegation: doing and undoing it (fixture tree)', () => {
  it('fixture: a session moves rsslab to its leaf, enables +memory, makes the run cgroup beside the leaf; close disables memory, moves the run cgroup\'s process back via the leaf, removes everything', async () => {
    const t = track(delegatedScope(process.pid));
    const state = scratch();
    const home = t.dir(SCOPE);
    const leaf = join(home, `rsslab-self-${process.pid}`);
    writeFileSync(join(home, 'memory.oom.group'), '0\n'); // this kernel has it: the run cgroup gets 1
    const lines: string[] = [];
    const session = await openSystemSession({ root: t.root, stateDir: state, lock: false, log: (l) => lines.push(l) });
    const sandbox = session.createCgroup(64 * MiB);
    try {
      expect(existsSync(leaf)).toBe(true);
      // the last pid written: rsslab itself moves last, so every child it forks starts in the leaf
      expect(text(join(leaf, 'cgroup.procs'))).toBe(String(process.pid));
      expect(text(join(home, 'cgroup.subtree_control'))).toBe('+memory');
      expect(sandbox.path).toMatch(new RegExp(`^${home}/rsslab-${process.pid}-\\d+$`));
      expect(text(join(sandbox.path, 'memory.max'))).toBe(String(64 * MiB));
      // an OOM kill ends the whole group; swap is off so pressure means reclaim or OOM
      expect(text(join(sandbox.path, 'memory.oom.group'))).toBe('1');
      expect(text(join(sandbox.path, 'memory.swap.max'))).toBe('0');
      const onDisk = JSON.parse(readFileSync(session.journal.path, 'utf8')) as { delegations: unknown; cgroups: unknown };
      expect(onDisk.delegations).toEqual([{ home, leaf, enabled: [home] }]);
      expect(onDisk.cgroups).toEqual([{ path: sandbox.path, version: 2, parent: home }]);
      sandbox.addProcess(4242);
    } finally {
      session.close();
    }
    expect(existsSync(sandbox.path)).toBe(false);
    expect(existsSync(leaf)).toBe(false);
    expect(text(join(home, 'cgroup.subtree_control'))).toBe('-memory');
    // 4242 could not rejoin home while memory was on there: it went to the leaf, then home with it
    expect(text(join(home, 'cgroup.procs'))).toBe('4242');
    expect(journalFiles(state)).toEqual([]);
    expect(lines.join('\n')).toMatch(/moved rsslab to .*rsslab-self-\d+ and enabled memory/);
    expect(lines.join('\n')).toMatch(/undid the cgroup v2 delegation: rsslab is back in .*run-u12\.scope; moved pid 4242 back/);
  });

  it('fixture: when enabling fails half-way, what was done is undone and the error names the step and the rule', () => {
    const t = track(delegatedScope(process.pid));
    const home = t.dir(SCOPE);
    // a directory where the control file should be: the write fails like a refused write would
    rmSync(join(home, 'cgroup.subtree_control'));
    mkdirSync(join(home, 'cgroup.subtree_control'));
    const support = cgroupSupport({ root: t.root });
    if (support.plan === undefined) throw new Error(`expected a delegation plan: ${support.reason}`);
    const journal = new Journal(scratch());
    expect(() => delegate(support.plan!, journal)).toThrow(/cannot give rsslab's children the memory controller in .*run-u12\.scope: cannot enable the memory controller for children of/);
    expect(existsSync(support.plan.leaf)).toBe(false);
    expect(journal.delegations).toEqual([]);
    expect(existsSync(journal.path)).toBe(false);
  });

  it('fixture: undoing a delegation whose leaf is gone writes nothing (nothing was enabled before the leaf existed)', () => {
    const t = track(delegatedScope(process.pid));
    const home = t.dir(SCOPE);
    writeFileSync(join(home, 'cgroup.subtree_control'), 'memory\n');
    expect(undoDelegation({ home, leaf: join(home, `rsslab-self-${process.pid}`), enabled: [home] })).toEqual({ ok: true, notes: [] });
    expect(text(join(home, 'cgroup.subtree_control'))).toBe('memory');
  });
});

/** A journal of a dead rsslab (pid 999999, another start time) with these cgroups and delegations. */
function plant(dir: string, cgroups: unknown[], delegations: unknown[]): string {
  const file = join(dir, 'journal-999999-1.json');
  writeFileSync(file, JSON.stringify({ journalVersion: 1, pid: 999999, procStartTime: 1, startedAt: 'x', command: 'x', entries: [], cgroups, delegations }), { mode: 0o600 });
  return file;
}

describe('restore trusts no cgroup v2 delegation it could not have written (fixture tree)', () => {
  it('fixture: a dead run\'s delegation (SIGKILL) - its run cgroup goes first, then memory is disabled in home, the leaf\'s processes move back and the leaf goes', () => {
    const t = track(delegatedScope(process.pid));
    const home = t.dir(SCOPE);
    const leaf = join(home, 'rsslab-self-999999');
    const run = join(home, 'rsslab-999999-1');
    for (const [d, procs] of [[leaf, '8\n'], [run, '4242\n']] as const) {
      mkdirSync(d);
      writeFileSync(join(d, 'cgroup.procs'), procs);
    }
    writeFileSync(join(home, 'cgroup.subtree_control'), 'memory\n');
    const state = scratch();
    const journal = plant(state, [{ path: run, parent: home, version: 2 }], [{ home, leaf, enabled: [home] }]);
    const result = restoreJournal({ stateDir: state, root: t.root });
    expect(result.refused).toEqual([]);
    expect(result.restored).toHaveLength(1);
    expect(result.restored[0]).toMatchObject({ ok: true, cgroups: [{ path: run, ok: true }], delegations: [{ leaf, ok: true }] });
    expect(result.restored[0]?.delegations[0]?.notes).toEqual([`moved pid 4242 back to ${home}`]);
    expect(existsSync(run)).toBe(false);
    expect(existsSync(leaf)).toBe(false);
    expect(text(join(home, 'cgroup.subtree_control'))).toBe('-memory');
    expect(existsSync(journal)).toBe(false);
  });

  const cases: Array<[string, (home: string, mount: string, outside: string) => { leaf: string; home: string; enabled: string[] }, RegExp]> = [
    ['a leaf named for another pid than the journal\'s', (home) => ({ home, leaf: join(home, 'rsslab-self-1'), enabled: [home] }), /not named like the leaf rsslab pid 999999 makes/],
    ['a cgroup to disable that is not home or its ancestor (a sibling service)', (home, mount) => ({ home, leaf: join(home, 'rsslab-self-999999'), enabled: [join(mount, 'system.slice/ssh.service')] }), /neither .* nor one of its ancestors/],
    ['a chain with a gap (the mount, then home, skipping system.slice)', (home, mount) => ({ home, leaf: join(home, 'rsslab-self-999999'), enabled: [mount, home] }), /are not parent and child/],
    ['a leaf path with ".."', (home) => ({ home, leaf: `${home}/../run-u12.scope/rsslab-self-999999`, enabled: [home] }), /not a plain absolute path/],
    ['a home outside the cgroup v2 mount', (_home, _mount, outside) => ({ home: outside, leaf: join(outside, 'rsslab-self-999999'), enabled: [outside] }), /is not inside the cgroup v2 mount/],
  ];
  it.each(cases)('fixture: hostile journal - %s is refused with the reason; nothing is written or removed', (_name, entry, reason) => {
    const t = track(delegatedScope(process.pid));
    const outside = scratch();
    const d = entry(t.dir(SCOPE), t.mount, outside);
    mkdirSync(join(t.mount, 'system.slice/ssh.service'), { recursive: true });
    writeFileSync(join(t.mount, 'system.slice/ssh.service/cgroup.subtree_control'), 'memory\n');
    for (const dir of [join(t.dir(SCOPE), 'rsslab-self-1'), join(t.dir(SCOPE), 'rsslab-self-999999'), join(outside, 'rsslab-self-999999')]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'precious'), 'keep\n');
    }
    writeFileSync(join(outside, 'cgroup.subtree_control'), 'memory\n');
    const state = scratch();
    const journal = plant(state, [], [d]);
    {
      const result = restoreJournal({ stateDir: state, root: t.root });
      expect(result.restored).toEqual([]);
      expect(result.refused).toEqual([{ journal, reason: expect.stringMatching(reason) as unknown as string }]);
      expect(result.refused[0]?.reason).toMatch(/nothing of it was restored/);
      for (const dir of [t.dir('/'), t.dir('/system.slice'), t.dir(SCOPE), join(t.mount, 'system.slice/ssh.service')]) {
        expect(readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8')).not.toMatch(/-memory/);
      }
      expect(text(join(outside, 'cgroup.subtree_control'))).toBe('memory');
      expect(existsSync(join(d.leaf, 'precious'))).toBe(true);
      expect(existsSync(journal)).toBe(true);
    }
  });

  it('fixture: a delegation whose leaf is gone is dropped without a write (the leaf is made before anything is enabled, removed after)', () => {
    const t = track(delegatedScope(process.pid));
    const home = t.dir(SCOPE);
    writeFileSync(join(t.dir('/system.slice'), 'cgroup.subtree_control'), 'memory\n');
    const state = scratch();
    const journal = plant(state, [], [{ home, leaf: join(home, 'rsslab-self-999999'), enabled: [t.dir('/system.slice'), home] }]);
    const result = restoreJournal({ stateDir: state, root: t.root });
    expect(result.refused).toEqual([]);
    expect(result.restored[0]).toMatchObject({ ok: true, delegations: [{ ok: true, notes: [] }] });
    expect(text(join(t.dir('/system.slice'), 'cgroup.subtree_control'))).toBe('memory');
    expect(existsSync(journal)).toBe(false);
  });
});

describe('cgroup layout on this machine', () => {
  it('the layout doctor reports matches the file system types mounted (cgroup, cgroup2 or both); v1 memory keeps the v1 path', () => {
    const types = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' - ')[1]?.split(' ')[0]);
    const v1 = types.includes('cgroup');
    const v2 = types.includes('cgroup2');
    const support = cgroupSupport();
    expect(support.layout).toBe(v1 && v2 ? 'hybrid' : v1 ? 'v1' : v2 ? 'v2' : 'none');
    if (support.version === 1) {
      expect(support.mode).toBe(support.canCreate ? 'v1' : null);
      expect(support.plan).toBeUndefined();
    }
    expect(cgroupFinding(support).value.startsWith({ v1: 'cgroup v1', v2: 'cgroup v2', hybrid: 'hybrid', none: 'no cgroup' }[support.layout])).toBe(true);
  });
});
