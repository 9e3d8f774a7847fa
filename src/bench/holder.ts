// Spawns a holder child (holder-child.ts) and waits until its memory is mapped and resident.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { packageRoot } from '../package-root.js';
import { SampleProbe } from '../probe/sample.js';
import type { HolderReady } from './holder-child.js';
import type { HolderSpec } from './profile.js';

export interface Holder {
  pid: number;
  spec: HolderSpec;
  regions: Array<{ address: bigint; lengthBytes: number }>;
  /** measured once ready: what the sampler is reading */
  rssBytes: number;
  anonHugeBytes: number;
  /** lines of /proc/<pid>/maps: every mapping smaps walks, node's own included */
  vmaCount: number;
  /** spawn until the memory was resident */
  readyMs: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

export async function startHolder(spec: HolderSpec): Promise<Holder> {
  const script = join(packageRoot(), 'dist', 'src', 'bench', 'holder-child.js');
  const t0 = performance.now();
  const child: ResultPromise<{ stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; reject: false; buffer: false }> = execa(process.execPath, [script, JSON.stringify(spec)], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    buffer: false,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const stop = async (): Promise<void> => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await child;
    clearTimeout(timer);
  };
  const ready = await new Promise<HolderReady>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`holder child (${JSON.stringify(spec)}) not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as Partial<HolderReady>;
        if (msg.ready) {
          clearTimeout(timer);
          resolve(msg as HolderReady);
        }
      } catch {
        // not our message: ignore
      }
    });
    void child.then((r) => {
      clearTimeout(timer);
      reject(new Error(`holder child exited (code ${String(r.exitCode)}, signal ${String(r.signal)}) before it was ready: ${stderr.trim()}`));
    });
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  const readyMs = performance.now() - t0;
  const pid = child.pid;
  if (pid === undefined) throw new Error('holder child has no pid');
  const probe = new SampleProbe(pid);
  const totals = probe.take('full');
  probe.close();
  const vmaCount = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter((l) => l.length > 0).length;
  return {
    pid,
    spec,
    regions: ready.regions.map((r) => ({ address: BigInt('0x' + r.address), lengthBytes: r.lengthBytes })),
    rssBytes: totals.rssBytes,
    anonHugeBytes: totals.anonHugeBytes ?? 0,
    vmaCount,
    readyMs,
    stop,
  };
}
