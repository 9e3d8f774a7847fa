// The real faiss program behind faiss-cycles (counterparts/faiss-cycles/faiss_cycles.cc), built from
// the experiment's own declaration with the machine's c++ and Debian's libfaiss-dev, then run by
// hand at a small size (no fd 3: its protocol lines go to stderr): the three thread shapes run the
// cycles where they should, and it marks the replay's phases. Skipped, with the apt-get line, when
// the compiler or faiss's headers are missing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCounterpart } from '../../src/lab/counterpart-build.js';
import { aptLine, findExecutable, missingHeaders } from '../../src/lab/toolchain.js';
import type { CounterpartSpec, Params } from '../../src/lab/experiment.js';
import faissCycles from '../../experiments/faiss-cycles.js';

const spec = faissCycles.counterparts![0] as unknown as CounterpartSpec<Params>;
const cxx = findExecutable('c++', process.env.PATH);
const missing = cxx ? await missingHeaders(cxx, 'c++', spec.needs?.headers ?? [], process.env) : ['a C++ compiler'];
const whySkip = missing.length ? `missing ${missing.join(', ')} (${aptLine(spec.needs?.apt ?? [])})` : null;
if (whySkip) console.warn(`skipping the real faiss program: ${whySkip}`);

const SMALL = ['cycles=3', 'rows=20000', 'dim=32', 'nlist=16', 'nq=100', 'idleBetweenMs=0', 'idleMs=0'];

interface Lines {
  marks: string[];
  tids: number[];
  arenas: number[];
}

function parse(stderr: string): Lines {
  const lines = stderr.split('\n');
  return {
    marks: lines.flatMap((l) => (l.startsWith('mark ') ? [l.split(' ')[2]!] : [])),
    tids: lines.flatMap((l) => (l.startsWith('report cycle.tid=') ? [Number(l.split('=')[1])] : [])),
    arenas: lines.flatMap((l) => (l.startsWith('report glibc.arenas=') ? [Number(l.split('=')[1])] : [])),
  };
}

describe.skipIf(whySkip !== null)('real faiss counterpart (small size)', () => {
  let binary: string;

  beforeAll(async () => {
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'rsslab-faiss-')), 'rsslab');
    const built = await buildCounterpart('faiss-cycles', spec, { sourceRoot: join(import.meta.dirname, '..', '..', 'counterparts'), cacheDir });
    if (!built.ok) throw new Error(built.reason);
    binary = built.built.binary;
  }, 300_000);

  const run = async (...args: string[]): Promise<{ pid: number; lines: Lines }> => {
    const child = execa(binary, [...SMALL, ...args], { reject: false, timeout: 120_000 });
    const pid = child.pid!;
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(0);
    return { pid, lines: parse(r.stderr) };
  };

  it("pool - marks the replay's phases; cycles alternate over 2 long-lived threads; glibc's arenas grow with them", async () => {
    const { lines } = await run('shape=pool', 'threads=2', 'omp=2');
    expect(lines.marks).toEqual(['baseline', 'cycle1', 'cycle1-freed', 'cycle2', 'cycle2-freed', 'cycle3', 'cycle3-freed', 'idle', 'shutdown', 'end']);
    expect(new Set(lines.tids).size).toBe(2);
    expect(lines.tids[2]).toBe(lines.tids[0]);
    // main arena at the start; each pool thread and its OpenMP thread add one
    expect(lines.arenas[0]).toBe(1);
    expect(Math.max(...lines.arenas)).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it('fresh - a new thread per cycle; main - every cycle on the main thread (tid = pid)', async () => {
    const fresh = await run('shape=fresh');
    expect(new Set(fresh.lines.tids).size).toBe(3);
    const main = await run('shape=main', 'omp=1');
    expect(main.lines.tids).toEqual([main.pid, main.pid, main.pid]);
  }, 180_000);

  it('bad arguments - exit 2 with the usage line', async () => {
    const r = await execa(binary, ['shape=sideways'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/shape must be pool, fresh or main/);
    expect(r.stderr).toMatch(/usage: faiss_cycles/);
  });
});
