// Acting on a V2Plan of kind 'delegate' (cgroup-v2-plan.ts): rsslab makes the cgroup it was started
// in usable for its children's memory cgroups, journaled step by step before each step, and undoes it
// in the reverse order. Synchronous, like every restore path (it runs from process.on('exit')).
//   do:   journal {home, leaf, enabled: []} → mkdir leaf → move our pids into the leaf →
//         for each cgroup top-down: journal it in `enabled`, then write "+memory" to its subtree_control
//   undo: "-memory" to each enabled subtree_control, bottom-up (home first: a process may join a cgroup
//         only while no controller is enabled for its children) → move whatever is in the leaf back
//         to home → rmdir the leaf. The leaf goes last, so a leaf on disk is what proves the journal's
//         claim; no leaf, nothing of ours is left to undo.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isCgroupFs, removeCgroupDir } from './cgroup-remove.js';
import type { V2Plan } from './cgroup-v2-plan.js';
import { explainWriteError, writeControl } from './sysfs.js';

export interface DelegationEntry {
  /** the cgroup rsslab was started in; its per-run cgroups are made here */
  home: string;
  /** home/rsslab-self-<pid>, where rsslab (and the commands that started it) wait meanwhile */
  leaf: string;
  /** cgroups whose subtree_control got +memory from rsslab, top-down (home last when it got there) */
  enabled: string[];
}

export interface DelegationRecorder {
  recordDelegation(entry: DelegationEntry): void;
  forgetDelegation(leaf: string): void;
}

export interface UndoResult {
  ok: boolean;
  /** what was left as it is, and why (an ancestor another cgroup now needs memory in) */
  notes: string[];
  error?: string;
}

function explainEnable(error: unknown, dir: string): string {
  if ((error as NodeJS.ErrnoException).code === 'EBUSY') {
    return `EBUSY: ${dir} holds processes (or a threaded child), and the kernel enables controllers only in a cgroup without processes`;
  }
  return explainWriteError(error);
}

/**
 * Makes the delegation a plan describes. On failure everything done so far is undone and the error
 * says which step failed and why.
 */
export function delegate(plan: Extract<V2Plan, { kind: 'delegate' }>, journal: DelegationRecorder, pid: number = process.pid): DelegationEntry {
  const entry: DelegationEntry = { home: plan.home, leaf: plan.leaf, enabled: [] };
  if (existsSync(plan.leaf)) throw new Error(`cannot make ${plan.leaf}: it exists already (a run of this pid that did not clean up? run \`sudo rsslab restore\`)`);
  journal.recordDelegation(entry);
  try {
    mkdirSync(plan.leaf);
    const plain = !isCgroupFs(plan.leaf);
    // the commands that started us first, ourselves last: once we have moved, every child we fork starts in the leaf
    for (const p of [...plan.movePids].sort((a, b) => (a === pid ? 1 : b === pid ? -1 : 0))) {
      try {
        writeControl(join(plan.leaf, 'cgroup.procs'), String(p), { create: plain });
      } catch (error) {
        if (p !== pid && (error as NodeJS.ErrnoException).code === 'ESRCH') continue; // a wrapper that exited meanwhile
        throw new Error(`cannot move pid ${p} into ${plan.leaf}: ${explainWriteError(error)}`, { cause: error });
      }
    }
    for (const dir of plan.enable) {
      entry.enabled.push(dir);
      journal.recordDelegation(entry);
      try {
        writeControl(join(dir, 'cgroup.subtree_control'), `+${plan.controller}`);
      } catch (error) {
        entry.enabled.pop(); // the write was refused: nothing to disable there
        throw new Error(`cannot enable the ${plan.controller} controller for children of ${dir}: ${explainEnable(error, dir)}`, { cause: error });
      }
    }
    return entry;
  } catch (error) {
    const undo = undoDelegation(entry, plan.controller);
    if (undo.ok) journal.forgetDelegation(entry.leaf);
    const tail = undo.ok ? '' : `; undoing it failed too (${undo.error}), the journal keeps it for \`sudo rsslab restore\``;
    throw new Error(`cannot give rsslab's children the memory controller in ${plan.home}: ${(error as Error).message}${tail}`, { cause: error });
  }
}

/** Undoes a delegation (the session's own, or a dead run's after journal-trust.ts allowed it). Idempotent. */
export function undoDelegation(entry: DelegationEntry, controller = 'memory'): UndoResult {
  const notes: string[] = [];
  if (!existsSync(entry.leaf)) {
    // nothing was enabled before the leaf existed, and the leaf goes last: nothing of ours is left
    return { ok: true, notes };
  }
  for (const dir of [...entry.enabled].reverse()) {
    try {
      writeControl(join(dir, 'cgroup.subtree_control'), `-${controller}`);
    } catch (error) {
      const why = explainWriteError(error);
      if (dir === entry.home) return { ok: false, notes, error: `cannot disable memory for children of ${dir}: ${why}` };
      // EBUSY here: a child of this ancestor (not ours) enables memory itself now; taking it away would break that
      notes.push(`left memory enabled for children of ${dir}: ${why}`);
    }
  }
  const removal = removeCgroupDir(entry.leaf, entry.home);
  if (!removal.ok) return { ok: false, notes, error: `cannot remove ${entry.leaf}: ${removal.error ?? 'unknown error'}` };
  if (removal.movedPids.length > 0) notes.push(`moved pid ${removal.movedPids.join(', ')} back to ${entry.home}`);
  return { ok: true, notes };
}
