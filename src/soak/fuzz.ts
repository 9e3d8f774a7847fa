// The soak's "fuzz" area: at least 100,000 fuzzed addon calls (fuzz-ops.ts) in child processes of a few
// thousand calls each, so a crash in native code is one child's signal, counted, and the soak goes on.
// A child that outlives its time budget is a hang; an error that is not a documented kind is counted
// with its message. `scale` shrinks the number of calls (npm test runs a few thousand).
//   node dist/src/soak/fuzz.js [scale] [seed]     runs the area alone
import { execa } from 'execa';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../package-root.js';
import type { FuzzCounts } from './fuzz-ops.js';
import type { SoakArea, SoakAreaResult, SoakOptions } from './area.js';

const FULL_CALLS = 100_000;
const CALLS_PER_CHILD = 5_000;
/** a child doing 5,000 calls takes a few seconds; far beyond this it is stuck */
const CHILD_TIMEOUT_MS = 180_000;
const PARALLEL = 2;

interface ChildOutcome {
  seed: number;
  nproc: boolean;
  calls: number;
  counts: FuzzCounts | null;
  crashed: string | null;
  hung: boolean;
}

function childScript(): string {
  return join(packageRoot(), 'dist', 'src', 'soak', 'fuzz-child.js');
}

// transfer() moves a buffer's memory; Node 22 has it, Node 20 behind a V8 flag
const NODE_FLAGS = ['--expose-gc', ...('transfer' in ArrayBuffer.prototype ? [] : ['--harmony-rab-gsab-transfer'])];

async function runChild(calls: number, seed: number, nproc: boolean): Promise<ChildOutcome> {
  const r = await execa(process.execPath, [...NODE_FLAGS, childScript(), String(calls), String(seed), ...(nproc ? ['nproc'] : [])], {
    reject: false,
    timeout: CHILD_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  let counts: FuzzCounts | null = null;
  let progress = 0;
  for (const line of r.stdout.split('\n')) {
    try {
      const o = JSON.parse(line) as { progress?: number; counts?: FuzzCounts };
      if (typeof o.progress === 'number') progress = o.progress;
      if (o.counts) counts = o.counts;
    } catch {
      // a line the child did not write as JSON (a native message): the stderr tail says what it was
    }
  }
  const hung = r.timedOut === true;
  const died = !hung && (r.signal !== undefined && r.signal !== null ? `signal ${r.signal}` : r.exitCode !== 0 || counts === null ? `exit ${r.exitCode}` : null);
  const crashed = died === null ? null : `${died}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return { seed, nproc, calls: counts?.calls ?? progress, counts, crashed, hung };
}

export const fuzz: SoakArea = async (options: SoakOptions): Promise<SoakAreaResult> => {
  const total = Math.max(1, Math.round(FULL_CALLS * options.scale));
  const children = Math.ceil(total / CALLS_PER_CHILD);
  const started = performance.now();
  const outcomes: ChildOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < children) {
      const n = next++;
      const calls = Math.min(CALLS_PER_CHILD, total - n * CALLS_PER_CHILD);
      const seed = options.seed + n;
      // every tenth child (and the second of a small run) cannot create threads: refused, not hung
      const o = await runChild(calls, seed, n % 10 === 1);
      outcomes.push(o);
      options.log(`fuzz child ${n + 1}/${children} seed ${seed}: ${o.calls} calls${o.crashed ? `, CRASHED (${o.crashed})` : ''}${o.hung ? ', HUNG' : ''}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, children) }, worker));
  const ms = Math.round(performance.now() - started);

  const figures: Record<string, number> = { calls: 0, ok: 0, crashes: 0, hangs: 0, undocumented: 0, children, ms, engineErrors: 0, useAfterUnmap: 0, detachedWrites: 0, transfers: 0, bigMaps: 0, pastMaps: 0, threads: 0, threadsRefused: 0 };
  const failures: string[] = [];
  const replay = (o: ChildOutcome) => `node ${NODE_FLAGS.join(' ')} ${childScript()} ${CALLS_PER_CHILD} ${o.seed}${o.nproc ? ' nproc' : ''}`;
  for (const o of outcomes) {
    figures['calls']! += o.calls;
    if (o.crashed) {
      figures['crashes']! += 1;
      failures.push(`crash (${o.crashed}); replay: ${replay(o)}`);
    }
    if (o.hung) {
      figures['hangs']! += 1;
      failures.push(`hang (no result within ${CHILD_TIMEOUT_MS / 1000} s); replay: ${replay(o)}`);
    }
    const c = o.counts;
    if (!c) continue;
    if (o.nproc) figures['threadsRefused']! += c.errors['RsslabSystemError:EAGAIN'] ?? 0;
    for (const k of ['ok', 'engineErrors', 'useAfterUnmap', 'detachedWrites', 'transfers', 'bigMaps', 'pastMaps', 'threads'] as const) figures[k]! += c[k];
    figures['undocumented']! += c.undocumentedCount;
    for (const [key, n] of Object.entries(c.errors)) figures[`error ${key}`] = (figures[`error ${key}`] ?? 0) + n;
    for (const u of c.undocumented.slice(0, 3)) failures.push(`undocumented error (seed ${o.seed}): ${u}`);
  }
  const ok = figures['crashes'] === 0 && figures['hangs'] === 0 && figures['undocumented'] === 0 && figures['calls']! >= total;
  if (figures['calls']! < total) failures.push(`only ${figures['calls']} of ${total} calls ran`);
  const line =
    `fuzz: ${figures['calls']} addon calls in ${children} child processes, ${figures['crashes']} crashes, ${figures['hangs']} hangs, ` +
    `${figures['undocumented']} undocumented errors (${figures['bigMaps']} maps of 64 MiB..8 GiB, ${figures['pastMaps']} past 8 GiB, ` +
    `${figures['transfers']} buffer moves, ${figures['threads']} native threads of which ${figures['threadsRefused']} refused by RLIMIT_NPROC, ` +
    `${figures['useAfterUnmap']} uses after unmap) in ${(ms / 1000).toFixed(1)} s`;
  return { area: 'fuzz', line, figures, ok, failures };
};

export default fuzz;

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const scale = Number(process.argv[2] ?? 1);
  const seed = Number(process.argv[3] ?? Date.now() % 1_000_000);
  const result = await fuzz({ scale, seed, log: (l) => console.error(l) });
  console.log(result.line);
  for (const f of result.failures) console.log(`  ${f}`);
  process.exitCode = result.ok ? 0 : 1;
}
