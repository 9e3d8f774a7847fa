// `rsslab watch --thp-disable -- CMD`: set PR_SET_THP_DISABLE in this process, then exec CMD in
// its place. The flag lives in the mm and is inherited across fork and exec (seed 004's
// per-process fix), so CMD runs without THP from its first instruction.
import { setThpDisable, execWithThp } from '../core/thp.js';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: exec-thp.js <command> [args…]');
  process.exit(2);
}
try {
  setThpDisable(true);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  execWithThp(file, [file, ...args], env);
} catch (e) {
  console.error(`rsslab: cannot start ${file}: ${(e as Error).message}`);
  process.exit(127);
}
