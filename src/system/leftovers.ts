// What every rsslab command does first: put back what a run that died (SIGKILL, OOM kill, a closed
// terminal) left on the machine — knobs and memory cgroups, from its journal — so that "after a
// SIGKILL, the next rsslab command of any kind leaves the machine as it was". It takes the lock only
// for that; when a live run holds the lock there is nothing dead to restore and nothing to wait for.
import { describeRestore, restoreJournal, type RestoreReport } from './journal.js';
import { acquireLock, type LockOwner } from './lock.js';
import { defaultStateDir, resolveStateDir } from './paths.js';

export interface LeftoversResult {
  /** restored: something was put back; clean: nothing to do; busy: a live run holds the lock */
  state: 'restored' | 'clean' | 'busy';
  restored: RestoreReport[];
  /** journals of live runs left alone, and journals not trusted */
  skipped: Array<{ journal: string; reason: string }>;
  refused: Array<{ journal: string; reason: string }>;
  holder: LockOwner | null;
  /** one line for stderr, or null when there is nothing to say */
  line: string | null;
}

/**
 * Takes the lock without waiting; if that works, restores the journals of the holder that died with
 * it (lock.ts does that on taking it), then every dead run's journal in our state dir and in the
 * machine-wide one, then releases the lock.
 */
export async function restoreLeftovers(options: { lockPath?: string } = {}): Promise<LeftoversResult> {
  let lock;
  try {
    lock = await acquireLock({ ...(options.lockPath !== undefined ? { path: options.lockPath } : {}), waitMs: 0 });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_RSSLAB_LOCKED') throw error;
    const holder = (error as { holder?: LockOwner | null }).holder ?? null;
    const who = holder === null ? 'another rsslab process' : `pid ${holder.pid} (${holder.command})`;
    return {
      state: 'busy',
      restored: [],
      skipped: [],
      refused: [],
      holder,
      line: `rsslab: a run is in progress (${who} holds the system lock); not checking for a dead run's leftovers now`,
    };
  }
  try {
    const restored = [...lock.recovered];
    const skipped: LeftoversResult['skipped'] = [];
    const refused: LeftoversResult['refused'] = [];
    for (const dir of new Set([resolveStateDir(), defaultStateDir()])) {
      const result = restoreJournal({ stateDir: dir });
      restored.push(...result.restored);
      skipped.push(...result.skipped);
      refused.push(...result.refused);
    }
    const parts = [
      ...restored.map((r) => (r.ok ? '' : 'FAILED: ') + describeRestore(r)),
      ...refused.map((r) => `refused ${r.journal}: ${r.reason}`),
    ];
    return {
      state: restored.length > 0 ? 'restored' : 'clean',
      restored,
      skipped,
      refused,
      holder: null,
      line: parts.length === 0 ? null : `rsslab: first put back what a run that died left behind: ${parts.join('; ')}`,
    };
  } finally {
    lock.release();
  }
}
