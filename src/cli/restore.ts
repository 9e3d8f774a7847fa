// `rsslab restore`: after a SIGKILL nobody ran the restore guards; the journal still holds every
// original value and every cgroup we made. Replay it.
import { restoreJournal, describeRestore } from '../system/journal.js';

export async function restoreCommand(): Promise<number> {
  const result = restoreJournal();
  for (const r of result.restored) process.stdout.write(`${r.ok ? 'restored' : 'FAILED to restore'}: ${describeRestore(r)}\n`);
  for (const s of result.skipped) process.stdout.write(`left alone: ${s.journal}: ${s.reason}\n`);
  if (result.restored.length === 0 && result.skipped.length === 0) process.stdout.write('nothing to restore: no journal of a dead rsslab run was found\n');
  return result.restored.every((r) => r.ok) ? 0 : 3;
}
