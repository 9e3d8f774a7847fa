// `rsslab restore`: after a SIGKILL nobody ran the restore guards; the journal still holds every
// original value and every cgroup we made. Replay it, holding the knob lock so that no run starts
// changing knobs half-way through (taking the lock of a run that died with it restores that run's
// journals, wherever it kept them). Journals that are not rsslab's are refused, never replayed.
import { restoreJournal, describeRestore } from '../system/journal.js';
import { withSystemLock } from '../system/lock.js';
import { stateDir } from '../system/paths.js';
import { printJson } from './json.js';

export async function restoreCommand(o: { json?: boolean } = {}): Promise<number> {
  const dir = stateDir();
  const result = await withSystemLock(
    (lock) => {
      const here = restoreJournal({ stateDir: dir });
      return { restored: [...lock.recovered, ...here.restored], skipped: here.skipped, refused: here.refused, notes: lock.notes };
    },
    { waitMs: 60_000, stateDir: dir },
  );
  const refusedByLock = result.notes.some((line) => line.startsWith('refus'));
  const ok = result.restored.every((r) => r.ok) && result.refused.length === 0 && !refusedByLock;
  if (o.json) {
    printJson('rsslab.restore/1', {
      ok,
      restored: result.restored.map((r) => ({ ok: r.ok, what: describeRestore(r) })),
      leftAlone: result.skipped,
      refused: [...result.refused, ...result.notes.filter((line) => line.startsWith('refus')).map((reason) => ({ journal: null, reason }))],
    });
    return ok ? 0 : 3;
  }
  for (const n of result.notes.filter((line) => line.startsWith('refus'))) process.stdout.write(`${n}\n`);
  for (const r of result.restored) process.stdout.write(`${r.ok ? 'restored' : 'FAILED to restore'}: ${describeRestore(r)}\n`);
  for (const s of result.skipped) process.stdout.write(`left alone: ${s.journal}: ${s.reason}\n`);
  for (const r of result.refused) process.stdout.write(`refused: ${r.journal}: ${r.reason}\n`);
  if (result.restored.length === 0 && result.skipped.length === 0 && result.refused.length === 0 && !refusedByLock) {
    process.stdout.write('nothing to restore: no journal of a dead rsslab run was found\n');
  }
  return ok ? 0 : 3;
}
