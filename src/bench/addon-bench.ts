// What the addon costs per call: the seed-004 page-by-page madvise(MADV_DONTNEED) loop over a region,
// through Region.advise from a JS loop and as one batched Region.adviseRanges call (the same ranges),
// against src/bench/madvise-loop.c compiled here with cc -O2. All touch the region before every timed
// repeat. Each round runs the C loop twice — the seed's single-threaded program, and the same loop in
// a process with as many (idle) threads as this Node process — plus one JS loop and one batched call,
// JS first in every other round; each process's first repeat is discarded (first faults). Ratios are
// medians of per-round ratios: on a shared 2-core machine the load drifts by 2× within a minute, and
// only neighbours in time compare fairly. Wall clock, CPU time of the whole process (Node's GC and
// platform threads included) and the machine's TLB shootdown IPIs are recorded for every side, and an
// empty call into the addon gives the floor a JS loop cannot go below.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { features } from '../core/features.js';
import { mapRegion } from '../core/region.js';
import { packageRoot } from '../package-root.js';
import { summarize, type Summary } from './stats.js';

/** One side's medians per repeat: wall clock, CPU of its whole process, the machine's TLB shootdown IPIs. */
export interface LoopSide {
  ms: Summary;
  cpuMs: number;
  /** TLB shootdown interrupts counted on all CPUs across the timed loop (/proc/interrupts; other processes' too); null when unreadable */
  tlbShootdowns: number | null;
}

export interface AddonFigures {
  hint: 'none' | 'hugepage';
  regionBytes: number;
  /** madvise calls per repeat: (regionBytes / 2 MiB) × 511 */
  calls: number;
  jsMs: Summary;
  /** the seed's single-threaded C program: what the goals compare to */
  cMs: Summary;
  /** the same calls as one Region.adviseRanges() */
  batchedMs: Summary;
  /** median over rounds of JS loop time / C loop time of the same round */
  ratio: number;
  /** median over rounds of batched time / C loop time of the same round */
  batchedRatio: number;
  jsPerCallUs: number;
  cPerCallUs: number;
  /** what the addon adds per call on top of the syscall */
  overheadPerCallUs: number;
  /** threads of this Node process while it loops (V8 platform workers, libuv, the main thread) */
  nodeThreads: number;
  /** every side in detail; `cThreaded` is the C loop in a process with nodeThreads threads, all but one idle */
  sides: { js: LoopSide; batched: LoopSide; c: LoopSide; cThreaded: LoopSide };
  /** median over rounds of batched / cThreaded: the same loop, in processes of the same shape */
  batchedThreadedRatio: number;
  /** median over rounds of CPU ratios (Node's whole process against the C process) */
  cpuRatio: number;
  batchedCpuRatio: number;
  /** the floor of a call from JS: an empty native accessor (Region.mapped), ns per call, and the per-call ratio it allows */
  crossingNs: number;
  floorRatio: number;
}

export type Compiled = { ok: true; binary: string; dir: string; compiler: string } | { ok: false; reason: string };

/** Compiles src/bench/<name>.c with the machine's cc -O2 into a fresh temporary directory. */
export async function compileC(name: string): Promise<Compiled> {
  const dir = mkdtempSync(join(tmpdir(), 'rsslab-bench-'));
  const binary = join(dir, name);
  const source = join(packageRoot(), 'src', 'bench', `${name}.c`);
  const r = await execa('cc', ['-O2', '-Wall', '-Werror', '-pthread', '-o', binary, source], { reject: false });
  if (r.failed) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `cannot compile ${source} with cc -O2: ${r.code === 'ENOENT' ? 'no cc on PATH (install gcc or clang)' : r.stderr || r.shortMessage}` };
  }
  const version = await execa('cc', ['--version'], { reject: false });
  return { ok: true, binary, dir, compiler: String(version.stdout).split('\n')[0] ?? 'cc' };
}

export function compileLoop(): Promise<Compiled> {
  return compileC('madvise-loop');
}

/** The machine's TLB shootdown IPIs so far (the "TLB:" row of /proc/interrupts summed over CPUs), null when absent. */
function tlbShootdowns(): number | null {
  try {
    const row = readFileSync('/proc/interrupts', 'utf8').split('\n').find((l) => l.trimStart().startsWith('TLB:'));
    if (!row) return null;
    let sum = 0;
    for (const field of row.trim().split(/\s+/).slice(1)) {
      if (!/^\d+$/.test(field)) break;
      sum += Number(field);
    }
    return sum;
  } catch {
    return null;
  }
}

function ownThreads(): number {
  const m = /^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 1;
}

interface Timed {
  ms: number;
  cpuMs: number;
  tlb: number | null;
}

function timed(f: () => void): Timed {
  const s0 = tlbShootdowns();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const s1 = tlbShootdowns();
  return { ms, cpuMs: (c.user + c.system) / 1000, tlb: s0 === null || s1 === null ? null : s1 - s0 };
}

interface JsSide {
  calls: number;
  /** one timed page-by-page loop and one timed batched call, the region touched before each */
  round(): { loop: Timed; batched: Timed };
  /** ns per call of an empty crossing into the addon (a native accessor), measured over `calls` calls */
  crossingNs(): number;
  close(): void;
}

function jsSide(regionBytes: number, hint: 'none' | 'hugepage'): JsSide {
  const { pageSize, hugePageSize } = features();
  const region = mapRegion(regionBytes, { alignHuge: true });
  if (hint === 'hugepage') region.advise('hugepage');
  const loop = (): number => {
    let calls = 0;
    for (let block = 0; block < region.length; block += hugePageSize) {
      for (let off = 0; off + pageSize < hugePageSize; off += pageSize) {
        region.advise('dontneed', { offset: block + off, length: pageSize });
        calls++;
      }
    }
    return calls;
  };
  // the same ranges, built before any clock starts, for one crossing
  const ranges: number[] = [];
  for (let block = 0; block < region.length; block += hugePageSize) {
    for (let off = 0; off + pageSize < hugePageSize; off += pageSize) ranges.push(block + off, pageSize);
  }
  const batch = new Float64Array(ranges);
  region.touch({ value: 1 });
  const calls = loop(); // warm-up: JIT, first faults
  return {
    calls,
    round() {
      region.touch({ value: 1 });
      const l = timed(loop);
      region.touch({ value: 1 });
      let done = 0;
      const batched = timed(() => {
        done = region.adviseRanges('dontneed', batch);
      });
      if (done !== calls) throw new Error(`adviseRanges made ${done} calls, the loop ${calls}`);
      return { loop: l, batched };
    },
    crossingNs() {
      let mapped = 0;
      const best = [0, 1, 2].map(() => {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) if (region.mapped) mapped++;
        return performance.now() - t0;
      });
      if (mapped !== 3 * calls) throw new Error('the region was unmapped under the crossing measurement');
      return (Math.min(...best) * 1e6) / calls;
    },
    close: () => region.unmap(),
  };
}

interface CRepeat extends Timed {
  calls: number;
}

/** One process of the C loop: two repeats, the first (fresh page tables, first faults) discarded. */
async function cLoop(binary: string, regionBytes: number, hint: 'none' | 'hugepage', idleThreads: number): Promise<CRepeat> {
  const args = [String(regionBytes), '2', hint, String(features().hugePageSize), String(idleThreads)];
  const r = await execa(binary, args, { reject: false });
  if (r.failed) throw new Error(`${binary} failed (exit ${String(r.exitCode)}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { calls: number; ns: number[]; cpuNs: number[]; tlb: number[] };
  const tlb = out.tlb[1] as number;
  return { calls: out.calls, ms: (out.ns[1] as number) / 1e6, cpuMs: (out.cpuNs[1] as number) / 1e6, tlb: tlb < 0 ? null : tlb };
}

const median = (xs: number[]): number => summarize(xs)?.median ?? Number.NaN;

function loopSide(xs: Timed[]): LoopSide {
  const ms = summarize(xs.map((x) => x.ms));
  if (!ms) throw new Error('no repeats timed');
  const tlb = xs.map((x) => x.tlb).filter((x): x is number => x !== null);
  return { ms, cpuMs: median(xs.map((x) => x.cpuMs)), tlbShootdowns: tlb.length === xs.length ? median(tlb) : null };
}

export async function benchAddon(binary: string, regionBytes: number, repeats: number, hint: 'none' | 'hugepage'): Promise<AddonFigures> {
  const c: Timed[] = [];
  const ct: Timed[] = [];
  const js: Timed[] = [];
  const batched: Timed[] = [];
  const side = jsSide(regionBytes, hint);
  const nodeThreads = ownThreads();
  let crossingNs = Number.NaN;
  try {
    const rounds = repeats * 2;
    for (let round = 0; round < rounds; round++) {
      // the order alternates, so neither side always runs right after the other's page faults
      const jsFirst = round % 2 === 1;
      const j = jsFirst ? side.round() : null;
      const single = await cLoop(binary, regionBytes, hint, 0);
      const threaded = await cLoop(binary, regionBytes, hint, nodeThreads - 1);
      for (const cr of [single, threaded]) {
        if (cr.calls !== side.calls) throw new Error(`the C loop made ${cr.calls} calls, the JS loop ${side.calls}: they are not the same loop`);
      }
      const { loop, batched: b } = j ?? side.round();
      c.push(single);
      ct.push(threaded);
      js.push(loop);
      batched.push(b);
    }
    crossingNs = side.crossingNs();
  } finally {
    side.close();
  }
  const ratioOf = (a: Timed[], b: Timed[], key: 'ms' | 'cpuMs'): number => median(a.map((x, i) => x[key] / (b[i] as Timed)[key]));
  const sides = { js: loopSide(js), batched: loopSide(batched), c: loopSide(c), cThreaded: loopSide(ct) };
  const calls = side.calls;
  const jsPerCallUs = (sides.js.ms.median * 1000) / calls;
  const cPerCallUs = (sides.c.ms.median * 1000) / calls;
  return {
    hint,
    regionBytes,
    calls,
    jsMs: sides.js.ms,
    cMs: sides.c.ms,
    batchedMs: sides.batched.ms,
    ratio: ratioOf(js, c, 'ms'),
    batchedRatio: ratioOf(batched, c, 'ms'),
    jsPerCallUs,
    cPerCallUs,
    overheadPerCallUs: jsPerCallUs - cPerCallUs,
    nodeThreads,
    sides,
    batchedThreadedRatio: ratioOf(batched, ct, 'ms'),
    cpuRatio: ratioOf(js, c, 'cpuMs'),
    batchedCpuRatio: ratioOf(batched, c, 'cpuMs'),
    crossingNs,
    floorRatio: (sides.c.ms.median + (crossingNs * calls) / 1e6) / sides.c.ms.median,
  };
}
