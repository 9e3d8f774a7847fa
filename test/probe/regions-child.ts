// A live child process holding regions in known kernel states (test/fixtures/proc/regions.c):
// huge (MADV_HUGEPAGE, written), lazy (written, MADV_FREE), partial (1 of 4 MiB written),
// split (seed 004's partial MADV_DONTNEED). Compiled once per machine with the system's cc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/proc');

export interface LiveRegion {
  address: bigint;
  sizeBytes: number;
}

export interface RegionsChild {
  pid: number;
  regions: Record<'huge' | 'lazy' | 'partial' | 'split', LiveRegion>;
  stop(): Promise<void>;
}

function compilerMissing(): string | null {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'no C compiler (cc) to build test/fixtures/proc/regions.c';
  }
}

/** Why the live region tests cannot run here, or null when they can. */
export const regionsChildUnavailable: string | null = compilerMissing();

function binary(): string {
  const source = path.join(FIXTURES, 'regions.c');
  const out = path.join(os.tmpdir(), `rsslab-probe-regions-${fs.statSync(source).mtimeMs.toFixed(0)}`);
  if (!fs.existsSync(out)) {
    const tmp = `${out}.${process.pid}`;
    execFileSync('cc', ['-O1', '-o', tmp, source]);
    fs.renameSync(tmp, out);
  }
  return out;
}

export async function startRegionsChild(hugeMiB = 8): Promise<RegionsChild> {
  const child: ChildProcess = spawn(binary(), [String(hugeMiB)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`regions child exited early with code ${code}`)));
  });
  const info = JSON.parse(line) as Record<string, string | number>;
  const region = (name: string): LiveRegion => ({ address: BigInt(String(info[name])), sizeBytes: Number(info[`${name}Len`]) });
  return {
    pid: Number(info.pid),
    regions: { huge: region('huge'), lazy: region('lazy'), partial: region('partial'), split: region('split') },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end('x\n');
      }),
  };
}
