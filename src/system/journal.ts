// The journal: before rsslab changes anything on the machine, the original value goes to a file, so
// that whatever happens next — an exception, Ctrl-C, SIGKILL — the change can be undone (by the
// session's own guards, or by `rsslab restore` / the next session after a SIGKILL). One file per
// session, JSON, written to a temp file, fsync'd and renamed, so a crash mid-write leaves the old
// journal intact rather than a truncated one.
import { closeSync, constants, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { removeCgroupDir } from './cgroup-remove.js';
import { undoDelegation, type DelegationEntry } from './cgroup-delegate.js';
import { commandOf, currentIdentity, isAlive, type ProcessIdentity } from './process-identity.js';
import { readControl, writeControl, explainWriteError } from './sysfs.js';
import { stateDir as defaultStateDir, unsafeDirReason } from './paths.js';
import { cgroupEntryProblem, delegationEntryProblem, knobEntryProblem, type TrustOptions } from './journal-trust.js';

export const JOURNAL_VERSION = 1;

export interface KnobEntry {
  path: string;
  original: string;
  applied: string;
}

export interface CgroupEntry {
  path: string;
  version: 1 | 2;
  /** where remaining processes are moved back to before rmdir */
  parent: string;
}

export interface JournalData extends ProcessIdentity {
  journalVersion: typeof JOURNAL_VERSION;
  startedAt: string;
  command: string;
  entries: KnobEntry[];
  cgroups: CgroupEntry[];
  /** cgroup v2: where rsslab moved itself to a leaf and enabled memory for its children (cgroup-delegate.ts) */
  delegations: DelegationEntry[];
}

export interface RestoreReport {
  journal: string;
  owner: { pid: number; startedAt: string; command: string };
  knobs: Array<{ path: string; value: string; ok: boolean; error?: string }>;
  cgroups: Array<{ path: string; ok: boolean; error?: string }>;
  delegations: Array<{ leaf: string; ok: boolean; notes: string[]; error?: string }>;
  ok: boolean;
}

let sessionCounter = 0;

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // the rename itself must reach the disk too (a no-op on tmpfs, not on $XDG_RUNTIME_DIR elsewhere)
  const dirFd = openSync(join(path, '..'), 'r');
  try {
    fsyncSync(dirFd);
  } catch {
    // some file systems refuse fsync on directories
  } finally {
    closeSync(dirFd);
  }
}

export class Journal {
  readonly path: string;
  private data: JournalData;
  private written = false;

  /** A new, empty journal for this process in `dir`; nothing is written until the first entry. */
  constructor(dir: string = defaultStateDir()) {
    sessionCounter += 1;
    this.path = join(dir, `journal-${process.pid}-${sessionCounter}.json`);
    this.data = {
      journalVersion: JOURNAL_VERSION,
      ...currentIdentity(),
      startedAt: new Date().toISOString(),
      command: commandOf(process.pid) ?? process.argv.join(' '),
      entries: [],
      cgroups: [],
      delegations: [],
    };
  }

  get entries(): readonly KnobEntry[] {
    return this.data.entries;
  }

  get cgroups(): readonly CgroupEntry[] {
    return this.data.cgroups;
  }

  get delegations(): readonly DelegationEntry[] {
    return this.data.delegations;
  }

  get isEmpty(): boolean {
    return this.data.entries.length === 0 && this.data.cgroups.length === 0 && this.data.delegations.length === 0;
  }

  /** Records a knob before it is written. The first original wins: applying twice must restore the value found first. */
  recordKnob(path: string, original: string, applied: string): void {
    const existing = this.data.entries.find((entry) => entry.path === path);
    if (existing !== undefined) existing.applied = applied;
    else this.data.entries.push({ path, original, applied });
    this.flush();
  }

  /** Records a cgroup before it is created, so a SIGKILL between mkdir and the next line still gets it removed. */
  recordCgroup(entry: CgroupEntry): void {
    if (!this.data.cgroups.some((cg) => cg.path === entry.path)) this.data.cgroups.push(entry);
    this.flush();
  }

  forgetCgroup(path: string): void {
    this.data.cgroups = this.data.cgroups.filter((cg) => cg.path !== path);
    this.flush();
  }

  /** Records (or updates, by leaf) a delegation before each of its steps. A copy: the caller's object keeps changing. */
  recordDelegation(entry: DelegationEntry): void {
    const copy = { home: entry.home, leaf: entry.leaf, enabled: [...entry.enabled] };
    const at = this.data.delegations.findIndex((d) => d.leaf === entry.leaf);
    if (at === -1) this.data.delegations.push(copy);
    else this.data.delegations[at] = copy;
    this.flush();
  }

  forgetDelegation(leaf: string): void {
    this.data.delegations = this.data.delegations.filter((d) => d.leaf !== leaf);
    this.flush();
  }

  private flush(): void {
    if (this.isEmpty) {
      this.discard();
      return;
    }
    writeAtomic(this.path, JSON.stringify(this.data, null, 2) + '\n');
    this.written = true;
  }

  /** Writes back every original (newest first), removes listed cgroups, deletes the journal when all went well. */
  restore(): RestoreReport {
    const report = restoreData(this.data, this.path);
    if (report.ok) {
      this.data.entries = [];
      this.data.cgroups = [];
      this.data.delegations = [];
      this.discard();
    } else {
      // keep only what failed, for `rsslab restore` to retry
      const failedKnobs = new Set(report.knobs.filter((k) => !k.ok).map((k) => k.path));
      const failedCgroups = new Set(report.cgroups.filter((c) => !c.ok).map((c) => c.path));
      this.data.entries = this.data.entries.filter((e) => failedKnobs.has(e.path));
      const failedDelegations = new Set(report.delegations.filter((d) => !d.ok).map((d) => d.leaf));
      this.data.cgroups = this.data.cgroups.filter((c) => failedCgroups.has(c.path));
      this.data.delegations = this.data.delegations.filter((d) => failedDelegations.has(d.leaf));
      this.flush();
    }
    return report;
  }

  private discard(): void {
    if (!this.written && !existsSync(this.path)) return;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
    this.written = false;
  }
}

function restoreData(data: JournalData, file: string): RestoreReport {
  const knobs: RestoreReport['knobs'] = [];
  for (const entry of [...data.entries].reverse()) {
    try {
      writeControl(entry.path, entry.original);
      const now = readControl(entry.path);
      if (now !== entry.original) throw new Error(`read back "${now}" after writing "${entry.original}"`);
      knobs.push({ path: entry.path, value: entry.original, ok: true });
    } catch (error) {
      knobs.push({ path: entry.path, value: entry.original, ok: false, error: explainWriteError(error) });
    }
  }
  const cgroups: RestoreReport['cgroups'] = [];
  for (const cg of [...data.cgroups].reverse()) {
    // below a delegated home no process may rejoin home while memory is on there: the leaf takes them
    const delegation = data.delegations.find((d) => d.home === cg.parent && existsSync(d.leaf));
    const result = removeCgroupDir(cg.path, delegation?.leaf ?? cg.parent);
    cgroups.push(result.ok ? { path: cg.path, ok: true } : { path: cg.path, ok: false, error: result.error });
  }
  // after the run cgroups: disabling memory in home takes it away from any cgroup still below it
  const delegations: RestoreReport['delegations'] = [];
  for (const d of [...data.delegations].reverse()) {
    const result = undoDelegation(d);
    delegations.push({ leaf: d.leaf, ok: result.ok, notes: result.notes, ...(result.error !== undefined ? { error: result.error } : {}) });
  }
  return {
    journal: file,
    owner: { pid: data.pid, startedAt: data.startedAt, command: data.command },
    knobs,
    cgroups,
    delegations,
    ok: knobs.every((k) => k.ok) && cgroups.every((c) => c.ok) && delegations.every((d) => d.ok),
  };
}

const MAX_JOURNAL_BYTES = 1024 * 1024;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Strict: every entry must have the exact shape rsslab writes, or the file is not an rsslab journal. */
function parseJournal(text: string, file: string): JournalData {
  const data = JSON.parse(text) as unknown;
  if (!isObject(data) || data.journalVersion !== JOURNAL_VERSION || typeof data.pid !== 'number' || !Number.isSafeInteger(data.pid) || !Array.isArray(data.entries)) {
    throw new Error(`${file} is not an rsslab journal (version ${isObject(data) ? String(data.journalVersion) : '?'})`);
  }
  const cgroups = data.cgroups ?? [];
  if (!Array.isArray(cgroups)) throw new Error(`${file}: "cgroups" is not a list`);
  const entries = data.entries.map((e: unknown, i: number): KnobEntry => {
    if (!isObject(e) || typeof e.path !== 'string' || typeof e.original !== 'string' || typeof e.applied !== 'string') {
      throw new Error(`${file}: entry ${i} is not { path, original, applied } strings`);
    }
    return { path: e.path, original: e.original, applied: e.applied };
  });
  const rawDelegations = data.delegations ?? [];
  if (!Array.isArray(rawDelegations) || rawDelegations.length > 16) throw new Error(`${file}: "delegations" is not a short list`);
  const delegations = rawDelegations.map((d: unknown, i: number): DelegationEntry => {
    if (!isObject(d) || typeof d.home !== 'string' || typeof d.leaf !== 'string' || !Array.isArray(d.enabled) || d.enabled.length > 64 || !d.enabled.every((x) => typeof x === 'string')) {
      throw new Error(`${file}: delegation ${i} is not { home, leaf, enabled: [paths] }`);
    }
    return { home: d.home, leaf: d.leaf, enabled: d.enabled as string[] };
  });
  const groups = cgroups.map((c: unknown, i: number): CgroupEntry => {
    if (!isObject(c) || typeof c.path !== 'string' || typeof c.parent !== 'string' || (c.version !== 1 && c.version !== 2)) {
      throw new Error(`${file}: cgroup ${i} is not { path, parent, version: 1|2 }`);
    }
    return { path: c.path, parent: c.parent, version: c.version };
  });
  return {
    journalVersion: JOURNAL_VERSION,
    pid: data.pid,
    procStartTime: typeof data.procStartTime === 'number' ? data.procStartTime : null,
    startedAt: String(data.startedAt ?? '?').slice(0, 64),
    command: String(data.command ?? '?').slice(0, 512),
    entries,
    cgroups: groups,
    delegations,
  };
}

/**
 * Reads a journal file only if it is ours: a regular file (O_NOFOLLOW: not a symlink), owned by us,
 * not writable by others, of a sane size.
 */
function readOwnFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    const me = typeof process.getuid === 'function' ? process.getuid() : -1;
    if (!stat.isFile()) throw new Error('not a regular file');
    if (me >= 0 && stat.uid !== me) throw new Error(`owned by uid ${stat.uid}, not by us (uid ${me})`);
    if ((stat.mode & 0o022) !== 0) throw new Error(`writable by others (mode ${(stat.mode & 0o777).toString(8)})`);
    if (stat.size > MAX_JOURNAL_BYTES) throw new Error(`${stat.size} bytes, more than any rsslab journal`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Why a journal read back from disk must not be replayed, or null when every entry is one rsslab writes. */
function journalProblem(data: JournalData, options: TrustOptions): string | null {
  for (const entry of data.entries) {
    const problem = knobEntryProblem(entry, options);
    if (problem !== null) return problem;
  }
  for (const cg of data.cgroups) {
    const problem = cgroupEntryProblem(cg, options);
    if (problem !== null) return problem;
  }
  for (const d of data.delegations) {
    const problem = delegationEntryProblem(d, data.pid, options);
    if (problem !== null) return problem;
  }
  return null;
}

export interface RestoreJournalResult {
  restored: RestoreReport[];
  /** journals left alone: their owner still runs (it restores them itself) */
  skipped: Array<{ journal: string; pid: number; reason: string }>;
  /**
   * journals (or a whole state dir) not trusted: not ours, or asking for a write or removal rsslab
   * never makes. Nothing of them was written or removed; the files are left for a human to look at.
   */
  refused: Array<{ journal: string; reason: string }>;
}

/**
 * What `rsslab restore` calls, and what every session runs first: restores every journal in the
 * state dir whose owner is gone (SIGKILL, OOM kill, power cut of a container), and says what it did.
 * Journals of live processes are skipped — undoing a running experiment's knobs under it would be
 * worse than waiting for it. The caller should hold the system lock (see lock.ts).
 */
export function restoreJournal(options: { stateDir?: string; root?: string } = {}): RestoreJournalResult {
  const dir = options.stateDir ?? defaultStateDir();
  const trust: TrustOptions = options.root !== undefined ? { root: options.root } : {};
  const result: RestoreJournalResult = { restored: [], skipped: [], refused: [] };
  if (!existsSync(dir)) return result;
  const dirProblem = unsafeDirReason(dir);
  if (dirProblem !== null) {
    result.refused.push({ journal: dir, reason: `not reading journals from this directory: ${dirProblem}` });
    return result;
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return result;
  }
  // A run killed while writing its journal leaves the temporary copy: the journal is written before
  // the knob, so what that copy adds was never applied. Its owner gone, it is only clutter.
  for (const name of names.filter((n) => /^journal-\d+-\d+\.json\.tmp$/.test(n))) {
    const pid = Number(name.split('-')[1]);
    if (pid !== process.pid && !existsSync(`/proc/${pid}`)) {
      try {
        unlinkSync(join(dir, name));
      } catch {
        // already gone
      }
    }
  }
  for (const name of names.filter((n) => /^journal-\d+-\d+\.json$/.test(n)).sort()) {
    const file = join(dir, name);
    let data: JournalData;
    try {
      data = parseJournal(readOwnFile(file), file);
    } catch (error) {
      result.skipped.push({ journal: file, pid: -1, reason: `unreadable: ${(error as Error).message}` });
      continue;
    }
    if (data.pid === process.pid) {
      result.skipped.push({ journal: file, pid: data.pid, reason: 'owned by this process; its session restores it' });
      continue;
    }
    if (isAlive(data)) {
      result.skipped.push({ journal: file, pid: data.pid, reason: `its owner, pid ${data.pid} (${data.command}), is still running` });
      continue;
    }
    const problem = journalProblem(data, trust);
    if (problem !== null) {
      result.refused.push({ journal: file, reason: `${problem}; nothing of it was restored — look at the file and delete it if it is not rsslab's` });
      continue;
    }
    const report = restoreData(data, file);
    if (report.ok) unlinkSync(file);
    result.restored.push(report);
  }
  return result;
}

/** One line per restore, for logs and the Run's systemLog. */
export function describeRestore(report: RestoreReport): string {
  const parts = [
    ...report.knobs.map((k) => (k.ok ? `${k.path}=${k.value}` : `${k.path}=${k.value} FAILED (${k.error})`)),
    ...report.cgroups.map((c) => (c.ok ? `removed ${c.path}` : `could not remove ${c.path} (${c.error})`)),
    ...report.delegations.map((d) => (d.ok ? `undid the cgroup v2 delegation ${d.leaf}` : `could not undo the cgroup v2 delegation ${d.leaf} (${d.error})`) + d.notes.map((n) => `; ${n}`).join('')),
  ];
  return `restored journal of pid ${report.owner.pid} (${report.owner.command}, ${report.owner.startedAt}): ${parts.join(', ') || 'nothing to do'}`;
}
