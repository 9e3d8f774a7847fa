// What it takes, on cgroup v2's unified hierarchy, to give rsslab's children the memory controller.
// Read-only: this file looks and decides; cgroup-delegate.ts acts. The kernel's rules that shape it
// (Documentation/admin-guide/cgroup-v2.rst):
// - "no internal processes": a non-root cgroup can enable a domain controller (memory) in its
//   cgroup.subtree_control only while it holds no processes (EBUSY otherwise), and a process cannot
//   join a cgroup whose subtree_control has one. The root cgroup is exempt.
// - a controller can be enabled in subtree_control only if the cgroup has it in cgroup.controllers,
//   i.e. only if its parent enabled it; so memory must be on in every ancestor's subtree_control.
// - memory is a domain controller: not in a threaded subtree (cgroup.type other than "domain").
// `systemd-run --scope -p Delegate=yes` gives a scope with memory in cgroup.controllers, but the scope
// holds the command itself, so its subtree_control stays empty: rsslab moves itself (and the wrappers
// that started it, npx or sudo, waiting in the same cgroup) to a leaf <own>/rsslab-self-<pid>, then
// enables +memory in <own>, and its per-run cgroups become the leaf's siblings.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** rsslab's own leaf, a child of the cgroup it was started in */
export const SELF_LEAF_PREFIX = 'rsslab-self-';
export const SELF_LEAF_NAME = /^rsslab-self-[1-9]\d{0,9}$/;

export const DELEGATE_HINT =
  'run rsslab in a delegated cgroup of its own, as root: sudo systemd-run --scope -p Delegate=yes --quiet -- ./node_modules/.bin/rsslab …';

export interface V2Inspect {
  /** the cgroup2 mount (joined to the root given), the top we may climb to */
  mount: string;
  /** our own cgroup's directory */
  own: string;
  /** our pid (a fixture pid in tests) */
  pid: number;
  euid: number;
  /** file system root: a fixture tree in tests */
  root: string;
  /**
   * the controller to hand down: memory, always, in rsslab; a test on a kernel whose memory controller
   * is on v1 checks the kernel's rules with a domain controller that is on v2 there (hugetlb)
   */
  controller?: string;
}

export type V2Plan =
  /** memory is already on for our children (the root cgroup, or a leaf rsslab made earlier in this process tree) */
  | { kind: 'ready'; home: string; reason: string }
  /** rsslab can do it: move `movePids` into `leaf`, enable memory in `enable` (top-down, `home` last) */
  | { kind: 'delegate'; home: string; leaf: string; movePids: number[]; enable: string[]; controller: string; reason: string }
  | { kind: 'blocked'; home: string; reason: string };

function words(path: string): string[] | null {
  try {
    return readFileSync(path, 'utf8').trim().split(/\s+/).filter((w) => w !== '');
  } catch {
    return null;
  }
}

function pidsOf(dir: string): number[] {
  return (words(join(dir, 'cgroup.procs')) ?? []).map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
}

/**
 * The root cgroup — exempt from the no-internal-processes rule — is the mount's top and has no
 * cgroup.type; a cgroup namespace's root (a container's /) is a top too, but an ordinary cgroup with one.
 */
function isHierarchyRoot(dir: string, mount: string): boolean {
  return dir === mount && !existsSync(join(dir, 'cgroup.type'));
}

function cgroupType(dir: string): string {
  return (words(join(dir, 'cgroup.type')) ?? ['domain'])[0] ?? 'domain';
}

function ppidOf(root: string, pid: number): number | null {
  try {
    const line = readFileSync(join(root, 'proc', String(pid), 'status'), 'utf8').split('\n').find((l) => l.startsWith('PPid:'));
    const value = Number(line?.slice(5).trim());
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

function commOf(root: string, pid: number): string {
  try {
    return readFileSync(join(root, 'proc', String(pid), 'comm'), 'utf8').trim().slice(0, 32) || '?';
  } catch {
    return '?';
  }
}

/** pid, its parent, grandparent… (at most 64, stopping at pid 1's parent) */
function ancestry(root: string, pid: number): number[] {
  const chain = [pid];
  for (let p = ppidOf(root, pid); p !== null && chain.length < 64 && !chain.includes(p); p = ppidOf(root, p)) chain.push(p);
  return chain;
}

function noMemoryController(dir: string): string {
  return (
    `no memory controller in cgroup v2 at ${dir} (its cgroup.controllers lacks memory): it is bound to a cgroup v1 hierarchy, ` +
    'disabled on the kernel command line (cgroup_disable=memory), or not given to this container by its host (with nsdelegate a cgroup ' +
    'namespace is a delegation boundary, so the host must delegate it); use a cgroup v1 memory hierarchy or a host that delegates memory'
  );
}

/**
 * Decides how rsslab's children get the memory controller below `own`. Never writes. Where it cannot,
 * the reason names the rule that stops it and what to do.
 */
export function planV2(o: V2Inspect): V2Plan {
  const { own, mount } = o;
  const controller = o.controller ?? 'memory';
  const controllers = words(join(own, 'cgroup.controllers'));
  if (controllers === null) return { kind: 'blocked', home: own, reason: `our cgroup ${own} is not visible (cgroup namespace or a private mount?)` };
  const subtree = words(join(own, 'cgroup.subtree_control')) ?? [];

  // a leaf rsslab made: we (or the rsslab that started us) already moved here; the runs go beside it
  if (SELF_LEAF_NAME.test(basename(own)) && own !== mount) {
    const home = dirname(own);
    if ((words(join(home, 'cgroup.subtree_control')) ?? []).includes(controller)) {
      return { kind: 'ready', home, reason: `rsslab's own leaf ${own}: memory is on for the cgroups beside it in ${home}` };
    }
    return { kind: 'blocked', home, reason: `we are in ${own}, a leaf an rsslab run made, but ${home} has no memory in cgroup.subtree_control; run \`sudo rsslab restore\`` };
  }

  if (subtree.includes(controller)) {
    // only the root cgroup can have processes and controllers for its children at once
    return { kind: 'ready', home: own, reason: `${isHierarchyRoot(own, mount) ? 'the root cgroup ' : ''}${own} has memory in cgroup.subtree_control` };
  }
  if (o.euid !== 0) {
    return {
      kind: 'blocked',
      home: own,
      reason:
        `the memory controller is not enabled for children of ${own} (cgroup.subtree_control), and only root can enable it ` +
        `and move rsslab to a leaf cgroup (the kernel's no-internal-processes rule); run rsslab as root (sudo), in a delegated cgroup of its own: sudo systemd-run --scope -p Delegate=yes …`,
    };
  }
  const type = cgroupType(own);
  if (type !== 'domain') {
    return { kind: 'blocked', home: own, reason: `${own} is a "${type}" cgroup (cgroup.type): memory is a domain controller and cannot be enabled in a threaded subtree; ${DELEGATE_HINT}` };
  }

  // every ancestor must hand memory down; enabling it where an ancestor does not is possible only
  // in ancestors without processes of their own (or the root cgroup)
  const enable: string[] = [];
  if (!controllers.includes(controller) && (own === mount || isHierarchyRoot(own, mount))) return { kind: 'blocked', home: own, reason: noMemoryController(own) };
  if (!controllers.includes(controller)) {
    // from our parent upwards, every cgroup that does not hand memory down yet, until one does
    for (let dir = dirname(own); ; dir = dirname(dir)) {
      if ((words(join(dir, 'cgroup.subtree_control')) ?? []).includes(controller)) break;
      if (!isHierarchyRoot(dir, mount) && pidsOf(dir).length > 0) {
        return { kind: 'blocked', home: own, reason: `the ancestor ${dir} does not hand the memory controller down and holds processes itself, so it cannot (no-internal-processes rule); ${DELEGATE_HINT}` };
      }
      if (cgroupType(dir) !== 'domain' && !isHierarchyRoot(dir, mount)) {
        return { kind: 'blocked', home: own, reason: `the ancestor ${dir} is a "${cgroupType(dir)}" cgroup: memory, a domain controller, cannot be enabled there; ${DELEGATE_HINT}` };
      }
      enable.unshift(dir);
      if (dir === mount || dir.length <= mount.length) {
        if (!(words(join(dir, 'cgroup.controllers')) ?? []).includes(controller)) return { kind: 'blocked', home: own, reason: noMemoryController(dir) };
        break;
      }
    }
  }

  const ours = new Set(ancestry(o.root, o.pid));
  const present = pidsOf(own);
  const others = present.filter((p) => !ours.has(p));
  if (others.length > 0 && !isHierarchyRoot(own, mount)) {
    const list = others.slice(0, 5).map((p) => `${p} (${commOf(o.root, p)})`).join(', ');
    return {
      kind: 'blocked',
      home: own,
      reason:
        `the memory controller is not enabled for children of ${own} (cgroup.subtree_control), and rsslab cannot enable it: ${own} also holds ` +
        `pid ${list}${others.length > 5 ? ` and ${others.length - 5} more` : ''} — the kernel enables controllers only in a cgroup without processes ` +
        `(no-internal-processes rule), and rsslab moves only itself and the commands that started it; ${DELEGATE_HINT}`,
    };
  }
  const movePids = isHierarchyRoot(own, mount) ? [] : [...ours].filter((p) => present.includes(p));
  if (!isHierarchyRoot(own, mount) && !movePids.includes(o.pid)) {
    return { kind: 'blocked', home: own, reason: `pid ${o.pid} is not listed in ${own}/cgroup.procs; /proc/self/cgroup and the cgroup file system disagree (a cgroup namespace?)` };
  }
  return {
    kind: 'delegate',
    home: own,
    leaf: join(own, `${SELF_LEAF_PREFIX}${o.pid}`),
    movePids,
    enable: [...enable, own],
    controller,
    reason:
      movePids.length > 0
        ? `rsslab will move itself${movePids.length > 1 ? ` and the ${movePids.length - 1} command(s) that started it` : ''} to ${join(own, SELF_LEAF_PREFIX + String(o.pid))} and enable memory for children of ${own}` +
          (enable.length > 0 ? ` (and in ${enable.join(', ')})` : '') + ', undone when it ends'
        : `rsslab will enable memory for children of the root cgroup ${own}` + (enable.length > 0 ? ` (and in ${enable.join(', ')})` : '') + ', undone when it ends',
  };
}
