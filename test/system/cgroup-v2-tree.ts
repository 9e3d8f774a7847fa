// Fixture trees laid out like a unified cgroup v2 hierarchy (/sys/fs/cgroup) with the files rsslab's
// cgroup v2 code reads and writes, and the /proc files it reads (mountinfo, self/cgroup, each pid's
// status and comm). This machine's memory controller is on v1, so the v2 path runs only here: the
// files are plain, and no kernel moves a pid out of one cgroup.procs when it is written to another.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ALL_CONTROLLERS = 'cpuset cpu io memory hugetlb pids rdma misc';

export interface FixtureCgroup {
  /** path inside the hierarchy, "/" for the root */
  path: string;
  controllers?: string;
  subtree?: string;
  procs?: number[];
  /** cgroup.type; the root cgroup has none (a cgroup namespace's root, seen from inside, does) */
  type?: string;
}

export interface FixtureProcess {
  pid: number;
  ppid: number;
  comm: string;
}

export interface UnifiedTree {
  root: string;
  mount: string;
  dir: (path: string) => string;
}

/** A unified hierarchy at /sys/fs/cgroup (mounted with nsdelegate, as systemd does), we in `self`. */
export function unifiedTree(o: { self: string; cgroups: FixtureCgroup[]; processes?: FixtureProcess[]; mountOptions?: string }): UnifiedTree {
  const root = mkdtempSync(join(tmpdir(), 'rsslab-fixture-unified-'));
  const mount = join(root, 'sys/fs/cgroup');
  const dir = (path: string): string => (path === '/' ? mount : join(mount, path));
  mkdirSync(join(root, 'proc/self'), { recursive: true });
  writeFileSync(
    join(root, 'proc/self/mountinfo'),
    `22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n` +
      `31 23 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 ${o.mountOptions ?? 'rw,nsdelegate,memory_recursiveprot'}\n`,
  );
  writeFileSync(join(root, 'proc/self/cgroup'), `0::${o.self}\n`);
  for (const p of o.processes ?? []) {
    mkdirSync(join(root, 'proc', String(p.pid)), { recursive: true });
    writeFileSync(join(root, 'proc', String(p.pid), 'status'), `Name:\t${p.comm}\nPid:\t${p.pid}\nPPid:\t${p.ppid}\n`);
    writeFileSync(join(root, 'proc', String(p.pid), 'comm'), `${p.comm}\n`);
  }
  for (const c of o.cgroups) {
    const d = dir(c.path);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'cgroup.controllers'), `${c.controllers ?? ALL_CONTROLLERS}\n`);
    writeFileSync(join(d, 'cgroup.subtree_control'), `${c.subtree ?? ''}\n`);
    writeFileSync(join(d, 'cgroup.procs'), (c.procs ?? []).map((p) => `${p}\n`).join(''));
    if (c.type !== undefined) writeFileSync(join(d, 'cgroup.type'), `${c.type}\n`);
    if (c.path !== '/') {
      if (c.type === undefined) writeFileSync(join(d, 'cgroup.type'), 'domain\n');
      writeFileSync(join(d, 'memory.current'), '0\n');
      writeFileSync(join(d, 'memory.max'), 'max\n');
      writeFileSync(join(d, 'memory.swap.max'), 'max\n');
    }
  }
  return { root, mount, dir };
}

/**
 * What `sudo systemd-run --scope -p Delegate=yes --quiet -- npx rsslab run …` leaves: a transient
 * scope in system.slice holding the command (npx), the shell it runs and rsslab (`pid`); systemd
 * enabled memory in system.slice for it (Delegate=yes), the scope's own subtree_control is empty.
 */
export function delegatedScope(pid: number, extra: { scopeProcs?: number[]; processes?: FixtureProcess[] } = {}): UnifiedTree {
  const scope = '/system.slice/run-u12.scope';
  return unifiedTree({
    self: scope,
    cgroups: [
      { path: '/', subtree: 'cpu io memory pids', procs: [1] },
      { path: '/system.slice', controllers: 'cpu io memory pids', subtree: 'cpu io memory pids' },
      { path: scope, controllers: 'cpu io memory pids', subtree: '', procs: extra.scopeProcs ?? [7, 8, pid] },
    ],
    processes: [
      { pid: 7, ppid: 1, comm: 'npm exec' },
      { pid: 8, ppid: 7, comm: 'sh' },
      { pid, ppid: 8, comm: 'node' },
      ...(extra.processes ?? []),
    ],
  });
}

export function ensureParent(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
}
