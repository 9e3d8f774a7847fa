// What the observer watches: a "subject" is a process that speaks the child protocol (ChildMessage
// in, ParentMessage out). The replay's subject is a Node child running the experiment body (IPC);
// a real counterpart's is a native program speaking counterparts/rsslab.h over fd 3 and stdin
// (real-subject.ts). observe.ts spawns either through this interface and does the rest the same.
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { isChildMessage, type ChildMessage, type ParentMessage } from './protocol.js';

/** The part of an execa subprocess the observer uses: its pid, output, kill, and how it ended. */
export interface SubjectProcess extends PromiseLike<{ exitCode?: number | undefined; signal?: string | undefined; timedOut: boolean }> {
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
}

export interface SubjectHandle {
  readonly process: SubjectProcess;
  /** every message from the subject, in order; the first is 'ready' */
  onMessage(handler: (m: ChildMessage) => void): void;
  send(m: ParentMessage): void;
}

export interface SubjectLauncher {
  spawn(o: { env: Record<string, string>; timeoutMs: number }): SubjectHandle;
}

/** Options common to every subject's process: no shell, a timeout, killed with us. */
export const SPAWN_COMMON = { extendEnv: true, buffer: false, reject: false, forceKillAfterDelay: 2000, cleanup: true } as const;

/** The replay: `node [nodeArgs] child.js`, talking over Node's IPC channel. */
export function replaySubject(childScript: string, nodeArgs: string[]): SubjectLauncher {
  return {
    spawn({ env, timeoutMs }) {
      const child = execa(process.execPath, [...nodeArgs, childScript], { ...SPAWN_COMMON, ipc: true, serialization: 'json', env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', timeout: timeoutMs });
      return {
        process: child,
        onMessage: (handler) => child.on('message', (raw: unknown) => isChildMessage(raw) && handler(raw)),
        send: (m) => {
          if (child.connected) child.send(m);
        },
      };
    },
  };
}
