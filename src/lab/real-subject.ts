// A real counterpart as the observer's subject. It is started through exec-real.js, which waits for
// "go" on stdin and then execs the program in its own place: the parent gets the pid first (to put
// it in the variant's memory cgroup and start sampling), and the program starts from its first
// instruction inside it, with PR_SET_THP_DISABLE already set when the variant asks. Its fd-3 lines
// are turned into the replay's messages; acks go to its stdin.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { packageRoot } from '../package-root.js';
import { allocatorFromMaps } from '../probe/maps-allocator.js';
import { parseStatus } from '../probe/status.js';
import { LineSplitter, parseCounterpartLine } from './counterpart-protocol.js';
import type { ChildMessage } from './protocol.js';
import { SPAWN_COMMON, type SubjectLauncher } from './subject.js';

export function execRealScript(): string {
  const file = join(packageRoot(), 'dist', 'src', 'lab', 'exec-real.js');
  if (!existsSync(file)) throw new Error(`the compiled launcher ${file} is missing: run \`npm run build\` first`);
  return file;
}

/** What the program runs with, read from outside once it speaks (it has exec'd by then). */
function infoOf(pid: number): ChildMessage {
  let allocator = { name: 'unknown', version: null as string | null, library: null as string | null };
  let thpDisable = false;
  try {
    allocator = allocatorFromMaps(readFileSync(`/proc/${pid}/maps`, 'utf8'));
  } catch {
    // gone already: the failure is reported by the exit status
  }
  try {
    thpDisable = parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8')).thpEnabled === 0;
  } catch {
    // idem
  }
  return { type: 'info', allocator, thpDisable, pid };
}

export function realSubject(binary: string, args: string[], thpDisable: boolean, onProtocolError: (message: string) => void): SubjectLauncher {
  return {
    spawn({ env, timeoutMs }) {
      // The variant's env goes to the program only (exec-real applies it): LD_PRELOAD must not load
      // jemalloc into the launcher's Node, and the program must see exactly what the replay's child saw.
      const child = execa(process.execPath, [execRealScript(), JSON.stringify(env), thpDisable ? '1' : '0', binary, ...args], {
        ...SPAWN_COMMON,
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        timeout: timeoutMs,
      });
      let handler: (m: ChildMessage) => void = () => {};
      let spoke = false;
      const deliver = (m: ChildMessage): void => {
        if (!spoke && child.pid !== undefined) {
          spoke = true;
          handler(infoOf(child.pid));
        }
        handler(m);
      };
      const splitter = new LineSplitter(
        (line) => {
          const parsed = parseCounterpartLine(line);
          if (parsed.ok) deliver(parsed.message);
          else onProtocolError(parsed.error);
        },
        () => onProtocolError('the counterpart wrote a line longer than 16 KiB on fd 3; dropped'),
      );
      const fd3 = child.stdio[3] as Readable | null | undefined;
      fd3?.setEncoding('latin1');
      fd3?.on('data', (chunk: string) => splitter.push(chunk));
      child.stdin?.on('error', () => {}); // the program exited while we wrote an ack: its exit says why
      setImmediate(() => handler({ type: 'ready' }));
      return {
        process: child,
        onMessage: (h) => {
          handler = h;
        },
        send: (m) => {
          if (!child.stdin || child.stdin.destroyed) return;
          if (m.type === 'start') child.stdin.write('go\n');
          else if (m.type === 'ack') child.stdin.write(`ack ${m.seq}\n`);
        },
      };
    },
  };
}
