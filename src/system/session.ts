// A SystemSession is everything one rsslab run changes on the machine: knobs and memory cgroups.
// Opening it restores what a dead predecessor left behind (stale journals); apply() journals each
// original before writing; restore() puts it all back and reads it back to be sure. restore() is
// synchronous and idempotent so the exit/signal guards (guard.ts) can call it at any moment.
import { dirname } from 'node:path';
import type { KnobChange } from '../run/schema.js';
import { cgroupSupport, createCgroup, type CgroupSandbox } from './cgroup.js';
import { delegate, type DelegationEntry } from './cgroup-delegate.js';
import { Journal, describeRestore, restoreJournal, type RestoreReport } from './journal.js';
import { knobPath, snapshotKnobs, validateChanges, type KnobName, type KnobSnapshot } from './knobs.js';
import { acquireLock, type SystemLock } from './lock.js';
import { ensureSafeDir, stateDir as resolveAndEnsureStateDir } from './paths.js';
import { explainWriteError, readControl, writeControl } from './sysfs.js';

export interface SystemSessionOptions {
  /** file system root; a fixture tree in tests */
  root?: string;
  /** journal directory; default: RSSLAB_STATE_DIR or /run/rsslab (see paths.ts) */
  stateDir?: string;
  /**
   * Take the machine-wide knob lock for the session's lifetime (default true). Pass false when the
   * caller already holds it for this session (a parent process that spawned us, or withSystemLock).
   */
  lock?: boolean;
  lockPath?: string;
  lockWaitMs?: number;
  /** every system change and restore, as a line (also kept in session.log for the Run's systemLog) */
  log?: (line: string) => void;
}

export class KnobWriteError extends Error {
  constructor(
    readonly knob: KnobName,
    readonly value: string,
    readonly path: string,
    readonly code: string | undefined,
    reason: string,
    cause: unknown,
  ) {
    super(`cannot set ${knob}=${value} (${path}): ${reason}`, { cause });
    this.name = 'KnobWriteError';
  }
}

export class SystemSession {
  /** what the session found and restored from dead predecessors at open */
  readonly recovered: RestoreReport[];
  readonly log: string[] = [];
  private readonly cgroups: CgroupSandbox[] = [];
  /** cgroup v2: the leaf rsslab moved itself to, made at the first cgroup and undone by restore() */
  private delegation: DelegationEntry | null = null;
  private closed = false;

  private constructor(
    readonly root: string,
    readonly journal: Journal,
    private readonly lock: SystemLock | null,
    recovered: RestoreReport[],
    private readonly sink: ((line: string) => void) | undefined,
  ) {
    this.recovered = recovered;
  }

  static async open(options: SystemSessionOptions = {}): Promise<SystemSession> {
    const root = options.root ?? '/';
    const dir = options.stateDir !== undefined ? ensureSafeDir(options.stateDir) : resolveAndEnsureStateDir();
    const lines: string[] = [];
    const note = (line: string): void => {
      lines.push(line);
      options.log?.(line);
    };
    const lock =
      options.lock === false
        ? null
        : await acquireLock({ ...(options.lockPath !== undefined ? { path: options.lockPath } : {}), waitMs: options.lockWaitMs ?? 0, log: note, stateDir: dir, root });
    try {
      // Taking the lock already restored a dead holder's journals wherever it kept them (and said
      // so); then any other dead run's journal in our own directory.
      const here = restoreJournal({ stateDir: dir, root });
      for (const report of here.restored) note(`found a journal left by a run that died: ${describeRestore(report)}`);
      for (const refused of here.refused) note(`refused journal ${refused.journal}: ${refused.reason}`);
      const stale = { restored: [...(lock?.recovered ?? []), ...here.restored] };
      const session = new SystemSession(root, new Journal(dir), lock, stale.restored, options.log);
      session.log.push(...lines);
      return session;
    } catch (error) {
      lock?.release();
      throw error;
    }
  }

  private note(line: string): void {
    this.log.push(line);
    this.sink?.(line);
  }

  snapshot(): KnobSnapshot {
    return snapshotKnobs({ root: this.root });
  }

  /**
   * Validates every change first (TypeError/RangeError, nothing written), then for each knob: journal
   * the original, write, read back. Returns the changes actually made (knobs already at the value are
   * left alone and not listed).
   */
  apply(changes: Partial<Record<KnobName, string | number>>): KnobChange[] {
    this.assertOpen();
    const validated = validateChanges(changes, { root: this.root });
    const made: KnobChange[] = [];
    for (const [name, value] of validated) {
      const path = knobPath(name, this.root);
      let original: string;
      try {
        original = readControl(path);
      } catch (error) {
        throw new KnobWriteError(name, value, path, (error as NodeJS.ErrnoException).code, explainWriteError(error), error);
      }
      if (original === value) continue;
      this.journal.recordKnob(path, original, value);
      try {
        writeControl(path, value);
      } catch (error) {
        throw new KnobWriteError(name, value, path, (error as NodeJS.ErrnoException).code, explainWriteError(error), error);
      }
      const now = readControl(path);
      if (now !== value) {
        throw new KnobWriteError(name, value, path, undefined, `the kernel shows "${now}" after the write`, undefined);
      }
      made.push({ path, from: original, to: value });
      this.note(`set ${name}: ${original} -> ${value}`);
    }
    return made;
  }

  /** A memory cgroup under our own, journaled before it is created; removed by restore(). */
  createCgroup(limitBytes: number): CgroupSandbox {
    this.assertOpen();
    if (this.delegation === null) {
      const support = cgroupSupport({ root: this.root });
      if (support.mode === 'v2-delegate' && support.plan !== undefined) {
        this.delegation = delegate(support.plan, this.journal);
        this.note(`cgroup v2: moved rsslab to ${this.delegation.leaf} and enabled memory for children of ${this.delegation.enabled.join(', ')} (no-internal-processes rule; undone at the end)`);
      }
    }
    const delegated = this.delegation === null ? {} : { delegated: { parent: this.delegation.home, returnTo: this.delegation.leaf } };
    const cgroup = createCgroup({ root: this.root, limitBytes, journal: this.journal, ...delegated });
    this.cgroups.push(cgroup);
    this.note(`created memory cgroup ${cgroup.path} (cgroup v${cgroup.version}, limit ${limitBytes} bytes${cgroup.notes.length > 0 ? ', ' + cgroup.notes.join(', ') : ''})`);
    return cgroup;
  }

  /**
   * Puts every knob back (newest first), verified by reading back, and removes our cgroups.
   * Synchronous and idempotent: a second call finds an empty journal and does nothing.
   */
  restore(): RestoreReport {
    const report = this.journal.restore();
    for (const k of report.knobs) this.note(k.ok ? `restored ${k.path}=${k.value}` : `FAILED to restore ${k.path}=${k.value}: ${k.error}`);
    for (const c of report.cgroups) this.note(c.ok ? `removed cgroup ${c.path}` : `FAILED to remove cgroup ${c.path}: ${c.error}`);
    for (const d of report.delegations) {
      this.note(d.ok ? `undid the cgroup v2 delegation: rsslab is back in ${dirname(d.leaf)}${d.notes.map((n) => `; ${n}`).join('')}` : `FAILED to undo the cgroup v2 delegation ${d.leaf}: ${d.error}`);
    }
    if (report.delegations.every((d) => d.ok)) this.delegation = null;
    return report;
  }

  /** restore(), then release the lock. Throws if something could not be restored (the journal is kept for `rsslab restore`). */
  close(): RestoreReport {
    const report = this.restore();
    if (!this.closed) {
      this.closed = true;
      this.lock?.release();
    }
    if (!report.ok) {
      throw Object.assign(
        new Error(`could not restore everything: ${describeRestore(report)}; the journal ${report.journal} is kept — run \`rsslab restore\` as root`),
        { code: 'ERR_RSSLAB_RESTORE' },
      );
    }
    return report;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('this system session is closed');
  }
}

export function openSystemSession(options: SystemSessionOptions = {}): Promise<SystemSession> {
  return SystemSession.open(options);
}
