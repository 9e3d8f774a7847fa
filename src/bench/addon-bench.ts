// What the addon costs per call: the seed-004 page-by-page madvise(MADV_DONTNEED) loop over a region,
// through Region.advise from a JS loop, against src/bench/madvise-loop.c compiled here with cc -O2. Both
// touch the region before every timed repeat, both discard their first repeat (JIT, first faults).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { features } from '../core/features.js';
import { mapRegion } from '../core/region.js';
import { packageRoot } from '../native.js';
import { summarize, type Summary } from './stats.js';

export interface AddonFigures {
  hint: 'none' | 'hugepage';
  regionBytes: number;
  /** madvise calls per repeat: (regionBytes / 2 MiB) × 511 */
  calls: number;
  jsMs: Summary;
  cMs: Summary;
  /** median JS loop time over median C loop time */
  ratio: number;
  jsPerCallUs: number;
  cPerCallUs: number;
  /** what the addon adds per call on top of the syscall */
  overheadPerCallUs: number;
}

export type Compiled = { ok: true; binary: string; dir: string; compiler: string } | { ok: false; reason: string };

export async function compileLoop(): Promise<Compiled> {
  const dir = mkdtempSync(join(tmpdir(), 'rsslab-bench-'));
  const binary = join(dir, 'madvise-loop');
  const source = join(packageRoot(), 'src', 'bench', 'madvise-loop.c');
  const r = await execa('cc', ['-O2', '-Wall', '-Werror', '-o', binary, source], { reject: false });
  if (r.failed) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `cannot compile ${source} with cc -O2: ${r.code === 'ENOENT' ? 'no cc on PATH (install gcc or clang)' : r.stderr || r.shortMessage}` };
  }
  const version = await execa('cc', ['--version'], { reject: false });
  return { ok: true, binary, dir, compiler: String(version.stdout).split('\n')[0] ?? 'cc' };
}

function jsLoop(regionBytes: number, repeats: number, hint: 'none' | 'hugepage'): { calls: number; ms: number[] } {
  const { pageSize, hugePageSize } = features();
  const region = mapRegion(regionBytes, { alignHuge: true });
  try {
    if (hint === 'hugepage') region.advise('hugepage');
    const ms: number[] = [];
    let calls = 0;
    for (let r = 0; r < repeats; r++) {
      region.touch({ value: 1 });
      calls = 0;
      const t0 = performance.now();
      for (let block = 0; block < region.length; block += hugePageSize) {
        for (let off = 0; off + pageSize < hugePageSize; off += pageSize) {
          region.advise('dontneed', { offset: block + off, length: pageSize });
          calls++;
        }
      }
      ms.push(performance.now() - t0);
    }
    return { calls, ms };
  } finally {
    region.unmap();
  }
}

async function cLoop(binary: string, regionBytes: number, repeats: number, hint: 'none' | 'hugepage'): Promise<{ calls: number; ms: number[] }> {
  const r = await execa(binary, [String(regionBytes), String(repeats), hint, String(features().hugePageSize)], { reject: false });
  if (r.failed) throw new Error(`${binary} failed (exit ${String(r.exitCode)}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { calls: number; ns: number[] };
  return { calls: out.calls, ms: out.ns.map((ns) => ns / 1e6) };
}

export async function benchAddon(binary: string, regionBytes: number, repeats: number, hint: 'none' | 'hugepage'): Promise<AddonFigures> {
  // one extra repeat on each side, discarded
  const c = await cLoop(binary, regionBytes, repeats + 1, hint);
  const js = jsLoop(regionBytes, repeats + 1, hint);
  if (c.calls !== js.calls) throw new Error(`the C loop made ${c.calls} calls, the JS loop ${js.calls}: they are not the same loop`);
  const jsMs = summarize(js.ms.slice(1));
  const cMs = summarize(c.ms.slice(1));
  if (!jsMs || !cMs) throw new Error('no repeats timed');
  const jsPerCallUs = (jsMs.median * 1000) / js.calls;
  const cPerCallUs = (cMs.median * 1000) / c.calls;
  return { hint, regionBytes, calls: js.calls, jsMs, cMs, ratio: jsMs.median / cMs.median, jsPerCallUs, cPerCallUs, overheadPerCallUs: jsPerCallUs - cPerCallUs };
}
