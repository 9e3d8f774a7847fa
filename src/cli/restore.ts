// `rsslab restore`: after a SIGKILL nobody ran the restore guards; the journal still holds every
// original value and every cgroup we made. Replay it, holding the knob lock so that no run starts
// changing knobs half-way through (and taking over the lock of the dead run).
import { restoreJournal, describeRestore } from '../system/journal.js';
import { withSystemLock } from '../system/lock.js';
import { resolveStateDir } from '../system/paths.js';
import { printJson } from './json.js';

export async function restoreCommand(o: { json?: boolean } = {}): Promise<number> {
  const dir = resolveStateDir();
  const result = await withSystemLock(
    (lock) => {
      // taking over a dead run's lock restored that run's journals already (lock.recovered)
      const here = restoreJournal({ stateDir: dir });
      return { restored: [...lock.recovered, ...here.restored], skipped: here.skipped };
    },
    { waitMs: 60_000, stateDir: dir },
  );
  const ok = result.restored.every((r) => r.ok);
  if (o.json) {
    printJson('rsslab.restore/1', { ok, restored: result.restored.map((r) => ({ ok: r.ok, what: describeRestore(r) })), leftAlone: result.skipped });
    return ok ? 0 : 3;
  }
  for (const r of result.restored) process.stdout.write(`${r.ok ? 'restored' : 'FAILED to restore'}: ${describeRestore(r)}\n`);
  for (const s of result.skipped) process.stdout.write(`left alone: ${s.journal}: ${s.reason}\n`);
  if (result.restored.length === 0 && result.skipped.length === 0) process.stdout.write('nothing to restore: no journal of a dead rsslab run was found\n');
  return result.restored.every((r) => r.ok) ? 0 : 3;
}
