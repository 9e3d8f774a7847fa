// The launcher of a real counterpart: `node exec-real.js <env-json> <thp-disable 0|1> <binary> [args…]`.
// It waits for one line ("go") on stdin — by then the parent has moved this pid into the variant's
// memory cgroup and started sampling — then sets PR_SET_THP_DISABLE if the variant asks and execs the
// program in its place (same pid, same cgroup; fd 3 and stdin stay open for the protocol). The
// variant's env (LD_PRELOAD, MALLOC_CONF, GODEBUG…) is applied to the program only, not to this Node.
import { readSync } from 'node:fs';
import { execWithThp } from '../core/thp.js';

const [envJson, thpDisable, file, ...args] = process.argv.slice(2);
if (envJson === undefined || (thpDisable !== '0' && thpDisable !== '1') || !file) {
  console.error('usage: exec-real.js <env-json> <0|1> <binary> [args…] (started by rsslab run --real)');
  process.exit(2);
}

/** One byte at a time, so nothing meant for the program (its acks) is read here. */
function waitForGo(): boolean {
  const byte = Buffer.alloc(1);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let line = '';
  for (;;) {
    let n: number;
    try {
      n = readSync(0, byte, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 5);
        continue;
      }
      throw e;
    }
    if (n === 0) return false; // the parent went away before saying go
    const c = byte.toString('latin1');
    if (c === '\n') return line === 'go';
    line += c;
    if (line.length > 16) return false;
  }
}

try {
  if (!waitForGo()) process.exit(0);
  const extra = JSON.parse(envJson) as Record<string, string>;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (typeof v === 'string') env[k] = v;
  execWithThp(file, [file, ...args], env, { thpDisabled: thpDisable === '1', inheritFds: [3] });
} catch (e) {
  console.error(`rsslab: cannot start ${file}: ${(e as Error).message}`);
  process.exit(127);
}
