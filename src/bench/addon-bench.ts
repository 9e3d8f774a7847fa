// What the addon costs per call: the seed-004 page-by-page madvise(MADV_DONTNEED) loop over a region,
// through Region.advise from a JS loop and as one batched Region.adviseRanges call (the same ranges),
// against src/bench/madvise-loop.c compiled here with cc -O2. All touch the region before every timed
// repeat. Rounds pair one C repeat (its process's first repeat discarded: first faults) with one JS
// loop and one batched call, and the ratios are medians of the per-round ratios: on a shared 2-core
// machine the load drifts by 2× within a minute, and only neighbours in time compare fairly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { features } from '../core/features.js';
import { mapRegion } from '../core/region.js';
import { packageRoot } from '../package-root.js';
import { summarize, type Summary } from './stats.js';

export interface AddonFigures {
  hint: 'none' | 'hugepage';
  regionBytes: number;
  /** madvise calls per repeat: (regionBytes / 2 MiB) × 511 */
  calls: number;
  jsMs: Summary;
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
}

export type Compiled = { ok: true; binary: string; dir: string; compiler: string } | { ok: false; reason: string };

/** Compiles src/bench/<name>.c with the machine's cc -O2 into a fresh temporary directory. */
export async function compileC(name: string): Promise<Compiled> {
  const dir = mkdtempSync(join(tmpdir(), 'rsslab-bench-'));
  const binary = join(dir, name);
  const source = join(packageRoot(), 'src', 'bench', `${name}.c`);
  const r = await execa('cc', ['-O2', '-Wall', '-Werror', '-o', binary, source], { reject: false });
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

interface JsSide {
  calls: number;
  /** one timed page-by-page loop and one timed batched call, the region touched before each */
  round(): { loopMs: number; batchedMs: number };
  close(): void;
}

function jsSide(regionBytes: number, hint: 'none' | 'hugepage'): JsSide {
  const { pageSize, hugePageSize } = features();
  const region = mapRegion(regionBytes, { alignHuge: true });
  if (hint === 'hugepage') region.advise('hugepage');
  const loop = (): { ms: number; calls: number } => {
    let calls = 0;
    const t0 = performance.now();
    for (let block = 0; block < region.length; block += hugePageSize) {
      for (let off = 0; off + pageSize < hugePageSize; off += pageSize) {
        region.advise('dontneed', { offset: block + off, length: pageSize });
        calls++;
      }
    }
    return { ms: performance.now() - t0, calls };
  };
  // the same ranges, built before any clock starts, for one crossing
  const ranges: number[] = [];
  for (let block = 0; block < region.length; block += hugePageSize) {
    for (let off = 0; off + pageSize < hugePageSize; off += pageSize) ranges.push(block + off, pageSize);
  }
  const batch = new Float64Array(ranges);
  region.touch({ value: 1 });
  const calls = loop().calls; // warm-up: JIT, first faults
  return {
    calls,
    round() {
      region.touch({ value: 1 });
      const loopMs = loop().ms;
      region.touch({ value: 1 });
      const t0 = performance.now();
      const done = region.adviseRanges('dontneed', batch);
      const batchedMs = performance.now() - t0;
      if (done !== calls) throw new Error(`adviseRanges made ${done} calls, the loop ${calls}`);
      return { loopMs, batchedMs };
    },
    close: () => region.unmap(),
  };
}

async function cLoop(binary: string, regionBytes: number, repeats: number, hint: 'none' | 'hugepage'): Promise<{ calls: number; ms: number[] }> {
  const r = await execa(binary, [String(regionBytes), String(repeats), hint, String(features().hugePageSize)], { reject: false });
  if (r.failed) throw new Error(`${binary} failed (exit ${String(r.exitCode)}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { calls: number; ns: number[] };
  return { calls: out.calls, ms: out.ns.map((ns) => ns / 1e6) };
}

export async function benchAddon(binary: string, regionBytes: number, repeats: number, hint: 'none' | 'hugepage'): Promise<AddonFigures> {
  const c: number[] = [];
  const js: number[] = [];
  const batched: number[] = [];
  const js2c: number[] = [];
  const batched2c: number[] = [];
  const side = jsSide(regionBytes, hint);
  try {
    const rounds = repeats * 2;
    for (let round = 0; round < rounds; round++) {
      const cr = await cLoop(binary, regionBytes, 2, hint);
      if (cr.calls !== side.calls) throw new Error(`the C loop made ${cr.calls} calls, the JS loop ${side.calls}: they are not the same loop`);
      const cMs = cr.ms[1] as number;
      const { loopMs, batchedMs } = side.round();
      c.push(cMs);
      js.push(loopMs);
      batched.push(batchedMs);
      js2c.push(loopMs / cMs);
      batched2c.push(batchedMs / cMs);
    }
  } finally {
    side.close();
  }
  const jsMs = summarize(js);
  const cMs = summarize(c);
  const batchedMs = summarize(batched);
  const ratio = summarize(js2c);
  const batchedRatio = summarize(batched2c);
  if (!jsMs || !cMs || !batchedMs || !ratio || !batchedRatio) throw new Error('no repeats timed');
  const calls = side.calls;
  const jsPerCallUs = (jsMs.median * 1000) / calls;
  const cPerCallUs = (cMs.median * 1000) / calls;
  return {
    hint,
    regionBytes,
    calls,
    jsMs,
    cMs,
    batchedMs,
    ratio: ratio.median,
    batchedRatio: batchedRatio.median,
    jsPerCallUs,
    cPerCallUs,
    overheadPerCallUs: jsPerCallUs - cPerCallUs,
  };
}
