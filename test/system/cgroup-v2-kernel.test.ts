// The cgroup v2 rules rsslab's delegation relies on, checked on this machine's real kernel. Here the
// memory controller is bound to v1, so the unified hierarchy cannot give it out; another domain
// controller that is on v2 here (hugetlb) stands in for it: the no-internal-processes rule, moving to a
// leaf, enabling top-down and undoing bottom-up are the same for every domain controller.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCgroupMounts } from '../../src/probe/cgroup.js';
import { delegate, undoDelegation, type DelegationEntry } from '../../src/system/cgroup-delegate.js';
import { planV2 } from '../../src/system/cgroup-v2-plan.js';
import { Journal } from '../../src/system/journal.js';
import { withSystemLock } from '../../src/system/lock.js';
import { isRoot, removeTree, skipReason, tempStateDir } from './helpers.js';

const words = (path: string): string[] => readFileSync(path, 'utf8').trim().split(/\s+/).filter((w) => w !== '');
const v2 = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')).v2;
const controllers = v2 === null ? [] : words(join(v2, 'cgroup.controllers'));
// a domain controller on v2 that nothing here has handed down yet (memory itself where it is on v2)
const controller = ['memory', 'hugetlb', 'io', 'pids'].find((c) => controllers.includes(c) && v2 !== null && !words(join(v2, 'cgroup.subtree_control')).includes(c)) ?? null;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const undo of cleanups.splice(0).reverse()) {
    try {
      undo();
    } catch {
      // best effort: the next one may still work
    }
  }
});

function cgroupOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '?';
}

function errnoOf(write: () => void): string | null {
  try {
    write();
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

describe('cgroup v2 delegation on the real kernel (a stand-in domain controller)', () => {
  it.skipIf(skipReason(!isRoot || v2 === null || controller === null, `needs root and a cgroup v2 mount with a domain controller not yet handed down (found: ${controllers.join(' ') || 'none'})`))(
    'real kernel: a cgroup holding a process cannot enable a controller (EBUSY); moved to its leaf it can, a run cgroup beside it gets the controller, home then refuses processes; undo puts all back',
    () =>
      withSystemLock(
        async () => {
          const mount = v2 as string;
          const c = controller as string;
          const home = join(mount, `rsslab-v2check-${process.pid}`);
          mkdirSync(home);
          cleanups.push(() => rmdirSync(home));
          const stand = execa('sleep', ['600'], { reject: false });
          const other = execa('sleep', ['600'], { reject: false });
          cleanups.push(() => {
            stand.kill('SIGKILL');
            other.kill('SIGKILL');
          });
          const pid = stand.pid as number;
          writeFileSync(join(home, 'cgroup.procs'), String(pid));
          const before = words(join(mount, 'cgroup.subtree_control'));

          // the rule itself, on the kernel: with a process inside, home cannot hand the controller down
          writeFileSync(join(mount, 'cgroup.subtree_control'), `+${c}`);
          let refused: string | null;
          try {
            refused = errnoOf(() => writeFileSync(join(home, 'cgroup.subtree_control'), `+${c}`));
          } finally {
            writeFileSync(join(mount, 'cgroup.subtree_control'), `-${c}`);
          }
          expect(refused).toBe('EBUSY');

          const plan = planV2({ mount, own: home, pid, euid: 0, root: '/', controller: c });
          if (plan.kind !== 'delegate') throw new Error(`expected a delegation plan, got ${plan.kind}: ${plan.reason}`);
          // the root cgroup does not hand it down either: enabled there first (exempt from the rule), then home
          expect(plan.enable).toEqual([mount, home]);
          expect(plan.movePids).toEqual([pid]);

          const state = tempStateDir();
          cleanups.push(() => removeTree(state));
          const journal = new Journal(state);
          let entry: DelegationEntry | null = delegate(plan, journal, pid);
          cleanups.push(() => {
            if (entry !== null) undoDelegation(entry, c);
          });
          expect(cgroupOf(pid)).toBe(`/rsslab-v2check-${process.pid}/rsslab-self-${pid}`);
          expect(words(join(home, 'cgroup.subtree_control'))).toContain(c);
          expect(words(join(home, 'cgroup.procs'))).toEqual([]);
          expect(JSON.parse(readFileSync(journal.path, 'utf8'))).toMatchObject({ delegations: [{ home, leaf: plan.leaf, enabled: [mount, home] }] });

          // what it was for: a run cgroup beside the leaf has the controller, and the process can go in and out
          const run = join(home, `rsslab-${process.pid}-1`);
          mkdirSync(run);
          cleanups.push(() => existsSync(run) && rmdirSync(run));
          expect(words(join(run, 'cgroup.controllers'))).toContain(c);
          writeFileSync(join(run, 'cgroup.procs'), String(pid));
          expect(cgroupOf(pid)).toBe(`/rsslab-v2check-${process.pid}/rsslab-${process.pid}-1`);
          // the converse rule: home, handing a controller down, takes no process
          expect(errnoOf(() => writeFileSync(join(home, 'cgroup.procs'), String(other.pid)))).toBe('EBUSY');
          writeFileSync(join(plan.leaf, 'cgroup.procs'), String(pid));
          rmdirSync(run);

          const undo = undoDelegation(entry, c);
          expect(undo).toEqual({ ok: true, notes: [`moved pid ${pid} back to ${home}`] });
          entry = null;
          journal.forgetDelegation(plan.leaf);
          expect(cgroupOf(pid)).toBe(`/rsslab-v2check-${process.pid}`);
          expect(existsSync(plan.leaf)).toBe(false);
          expect(words(join(home, 'cgroup.subtree_control'))).not.toContain(c);
          expect(words(join(mount, 'cgroup.subtree_control'))).toEqual(before);
          expect(existsSync(journal.path)).toBe(false);
          writeFileSync(join(mount, 'cgroup.procs'), String(pid));
        },
        { waitMs: 10 * 60_000 },
      ),
    12 * 60_000,
  );
});
