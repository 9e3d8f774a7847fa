// Soak area "hostile-runs": crafted and randomly mutated Run files through `rsslab report` and
// `rsslab compare`, each in its own child process with a time limit. A pass is a clean error (exit 2,
// one line naming the file and what is wrong, no stack trace) or a correct report (exit 0, the files
// written); a crash (another exit code, a signal, an abort), a hang (the time limit) or a control
// character reaching the terminal is a failure. Runnable alone: node dist/src/soak/hostile-runs.js [scale] [seed]
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Run } from '../run/schema.js';
import type { SoakArea, SoakAreaResult } from './area.js';
import { seeded } from '../check/permutation.js';
import { syntheticRun } from './synthetic-run.js';
import { distPath } from './dist-path.js';

/** What a case must end in: refused (exit 2 with a message matching) or drawn (exit 0, reports written). */
export type Outcome = { refused: RegExp } | { drawn: true };

export interface HostileCase {
  name: string;
  /** the Run file's text (not always valid JSON on purpose) */
  text: () => string;
  outcome: Outcome;
  /** report into this folder instead of a fresh one (e.g. /proc/x) */
  out?: string;
}

const ESC = '\u001b';
const CLEAR = `${ESC}[2J${ESC}[H`;
const OSC52 = `${ESC}]52;c;${Buffer.from('rm -rf ~').toString('base64')}\u0007`;
/** Control characters that must never reach the terminal from a Run (ESC, BEL, C1 CSI/OSC). */
export const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

function base(samples = 200): Run {
  return syntheticRun({ samples, variants: 2 });
}

function withRun(edit: (r: Run & Record<string, unknown>) => void, samples?: number): () => string {
  return () => {
    const r = base(samples) as Run & Record<string, unknown>;
    edit(r);
    return JSON.stringify(r);
  };
}

/** The reproducers of issue 13 items 7 and 8, and their neighbours. */
export function craftedCases(): HostileCase[] {
  const v0 = (r: Run): Run['variants'][number] => r.variants[0]!;
  return [
    { name: 'page-map run-length bomb', text: withRun((r) => (v0(r).pageMaps[0]!.pages = '999999999r'.repeat(3500))), outcome: { refused: /pageMaps\[0\]\.pages: it claims more than 16384 pages/ } },
    { name: 'page map without a declared region past the global cap', text: withRun((r) => (v0(r).pageMaps[0] = { ...v0(r).pageMaps[0]!, region: 'other', pages: '99999999999r' })), outcome: { refused: /pageMaps\[0\]\.pages: it claims more than \d+ pages/ } },
    { name: 'page size 0', text: withRun((r) => (v0(r).pageMaps[0]!.pageSize = 0)), outcome: { refused: /pageMaps\[0\]\.pageSize/ } },
    { name: 'requires ["__proto__"]', text: withRun((r) => (v0(r).expectations[1]!.requires = ['__proto__'])), outcome: { drawn: true } },
    { name: 'requires ["toString"]', text: withRun((r) => (v0(r).expectations[1]!.requires = ['toString', 'constructor'])), outcome: { drawn: true } },
    { name: 'requires [null]', text: withRun((r) => ((v0(r).expectations[1]! as unknown as { requires: unknown[] }).requires = [null])), outcome: { refused: /expectations\[1\]\.requires\.0: expected string, found null/ } },
    { name: 'null expectation', text: withRun((r) => ((v0(r).expectations as unknown[])[0] = null)), outcome: { refused: /expectations\[0\]: expected an object, found null/ } },
    { name: 'null sample', text: withRun((r) => ((v0(r).samples as unknown[])[5] = null)), outcome: { refused: /samples\[5\]: expected an object, found null/ } },
    { name: 'null variant', text: withRun((r) => ((r.variants as unknown[])[1] = null)), outcome: { refused: /variants\[1\]: expected an object, found null/ } },
    { name: 'null story entry', text: withRun((r) => ((r.experiment.story as unknown[])[0] = null)), outcome: { refused: /story\[0\]: expected an object/ } },
    { name: 'an infinite figure (1e999)', text: () => JSON.stringify(base()).replace(/"rssBytes":\d+/, '"rssBytes":1e999'), outcome: { refused: /rssBytes: expected number, found a non-finite number/ } },
    { name: 'an unknown comparison', text: withRun((r) => ((v0(r).expectations[0] as unknown as { op: string }).op = '==')), outcome: { refused: /expectations\[0\]\.op: expected <, <=, >, >=/ } },
    { name: 'regions named __proto__ and constructor', text: () => JSON.stringify(base()).replace(/"regions":\{"main"/, '"regions":{"__proto__":{"sizeBytes":1,"rssBytes":1,"anonHugeBytes":0,"lazyFreeBytes":0,"swapBytes":0},"constructor":{"sizeBytes":1,"rssBytes":1,"anonHugeBytes":0,"lazyFreeBytes":0,"swapBytes":0},"main"'), outcome: { drawn: true } },
    { name: 'metrics and values named __proto__/toString', text: () => JSON.stringify(base()).replace('"metrics":{', '"metrics":{"__proto__":5,"toString":null,').replace('"values":{', '"values":{"__proto__":1,"hasOwnProperty":2,'), outcome: { drawn: true } },
    { name: 'headline metric toString@max', text: withRun((r) => (r.experiment.headline = [{ metric: 'toString@max', label: 'x' }, { metric: 'region.constructor.rss@max', label: 'y' }])), outcome: { drawn: true } },
    { name: '130,000 samples', text: withRun(() => {}, 130_000), outcome: { drawn: true } },
    { name: 'screen clear and OSC 52 in every string', text: withRun((r) => {
      r.experiment.title = `T${CLEAR}`;
      r.experiment.summary = `S${OSC52}`;
      r.experiment.story[0]!.text = `story${OSC52}\u009b2J`;
      r.variants[0]!.variant = `v${OSC52}`;
      r.variants[0]!.label = `L${CLEAR}`;
      r.variants[0]!.settings.env = { [`K${ESC}[31m`]: `V${OSC52}` };
      r.variants[0]!.status = 'failed';
      r.variants[0]!.failure = { reason: `R${CLEAR}`, exitCode: 1, signal: null, stderrTail: `line1${OSC52}\nline2${ESC}c`, timedOut: false };
      r.variants[0]!.expectations[0]!.status = 'failed';
      r.variants[0]!.expectations[0]!.text = `E${OSC52}`;
      r.systemLog = [`log${CLEAR}`];
      r.skipped = [{ variant: `s${ESC}]0;title\u0007`, reason: `r${OSC52}` }];
      r.variants[1]!.settings.skippedSettings = [{ what: `w${CLEAR}`, reason: `\u202eevil` }];
    }), outcome: { drawn: true } },
    { name: 'deeply nested unknown field', text: () => JSON.stringify(base()).replace(/^\{/, `{"extra":${'['.repeat(5000)}${']'.repeat(5000)},`), outcome: { drawn: true } },
    { name: 'report --out /proc/x', text: withRun(() => {}), out: '/proc/rsslab-soak-x', outcome: { refused: /on the kernel's proc filesystem/ } },
    { name: 'report --out /sys/kernel/x', text: withRun(() => {}), out: '/sys/kernel/rsslab-soak-x', outcome: { refused: /on the kernel's sysfs filesystem/ } },
    { name: 'not JSON at all', text: () => '{"schema":"rsslab.run",', outcome: { refused: /not valid JSON/ } },
  ];
}

// ---- random mutations --------------------------------------------------------------------------


const HOSTILE_VALUES: unknown[] = [null, '__proto__', 'toString', '', -1, 0, 1e308, -1e308, 2 ** 53 + 1, true, [], {}, [null], { __proto__: null }, 'x'.repeat(10_000), `${CLEAR}${OSC52}`, '\u009b31m', '99999999999999r', '%s%n', '../../../etc/passwd'];

function paths(v: unknown, at: Array<string | number>, out: Array<Array<string | number>>, depth: number): void {
  if (depth > 6 || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    // a few entries of long lists: the shape, not every sample
    for (const i of [0, 1, v.length - 1]) if (i >= 0 && i < v.length) {
      out.push([...at, i]);
      paths(v[i], [...at, i], out, depth + 1);
    }
    return;
  }
  for (const k of Object.keys(v)) {
    out.push([...at, k]);
    paths((v as Record<string, unknown>)[k], [...at, k], out, depth + 1);
  }
}

/** A base Run with 1–3 of its fields replaced by hostile values, deleted, or its lists blown up. */
export function mutatedRun(seed: number): { text: string; what: string } {
  const random = seeded(seed);
  const run = base(300) as unknown as Record<string, unknown>;
  const all: Array<Array<string | number>> = [];
  paths(run, [], all, 0);
  const changes: string[] = [];
  const n = 1 + Math.floor(random() * 3);
  for (let c = 0; c < n; c++) {
    const path = all[Math.floor(random() * all.length)]!;
    let parent: unknown = run;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)?.[key];
    if (parent === null || typeof parent !== 'object') continue;
    const key = path[path.length - 1]!;
    const p = parent as Record<string | number, unknown>;
    const roll = random();
    if (roll < 0.15) {
      delete p[key];
      changes.push(`delete ${path.join('.')}`);
    } else if (roll < 0.25 && Array.isArray(p[key])) {
      const list = p[key] as unknown[];
      const first = list[0];
      p[key] = Array.from({ length: 20_000 }, () => first);
      changes.push(`${path.join('.')} × 20000`);
    } else {
      const value = HOSTILE_VALUES[Math.floor(random() * HOSTILE_VALUES.length)];
      Object.defineProperty(p, key, { value, enumerable: true, writable: true, configurable: true });
      changes.push(`${path.join('.')} = ${JSON.stringify(value)?.slice(0, 40)}`);
    }
  }
  return { text: JSON.stringify(run), what: changes.join('; ') || 'unchanged' };
}

// ---- running one case in a child process --------------------------------------------------------

export function cliPath(): string {
  return distPath('cli.js');
}

export interface CaseResult {
  ok: boolean;
  exitCode: number | null;
  ms: number;
  why: string;
}

const TIME_LIMIT_MS = 60_000;

/** Run `rsslab <args>` and judge it: clean error or drawn report, no crash, no hang, no raw control. */
export async function judgeCli(args: string[], outcome: Outcome | { any: true }, outDir: string | null): Promise<CaseResult> {
  const t0 = performance.now();
  const r = await execa(process.execPath, ['--max-old-space-size=1024', cliPath(), ...args], { reject: false, timeout: TIME_LIMIT_MS, env: { CI: 'true' }, stdin: 'ignore' });
  const ms = performance.now() - t0;
  const result = (ok: boolean, why: string): CaseResult => ({ ok, exitCode: r.exitCode ?? null, ms, why });
  if (r.timedOut) return result(false, `hung: no exit within ${TIME_LIMIT_MS} ms`);
  if (r.signal) return result(false, `crashed: killed by ${r.signal}`);
  const output = `${r.stdout}\n${r.stderr}`;
  if (RAW_CONTROL.test(output)) return result(false, `a raw control character reached the terminal: ${JSON.stringify(output.match(RAW_CONTROL)![0])}`);
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr) || /FATAL ERROR|Maximum call stack|heap out of memory/.test(output)) return result(false, `crashed: ${r.stderr.slice(0, 300)}`);
  const code = r.exitCode ?? -1;
  if ('any' in outcome) {
    if (code === 0 || code === 1) return result(true, 'ok');
    if (code === 2 && /^rsslab( \w+)?: /.test(r.stderr)) return result(true, 'refused');
    return result(false, `exit ${code}: ${r.stderr.slice(0, 300)}`);
  }
  if ('refused' in outcome) {
    if (code !== 2) return result(false, `expected a refusal (exit 2), got exit ${code}: ${r.stderr.slice(0, 300)}`);
    if (!outcome.refused.test(r.stderr)) return result(false, `refused, but the message does not say ${outcome.refused}: ${r.stderr.slice(0, 300)}`);
    return result(true, 'refused');
  }
  if (code !== 0) return result(false, `expected a report (exit 0), got exit ${code}: ${r.stderr.slice(0, 300)}`);
  if (outDir && !(existsSync(join(outDir, 'report.html')) && statSync(join(outDir, 'report.html')).size > 0)) return result(false, 'exit 0 but no report.html');
  return result(true, 'drawn');
}

export const hostileRuns: SoakArea = async (o) => {
  const work = mkdtempSync(join(tmpdir(), 'rsslab-soak-hostile-'));
  const failures: string[] = [];
  let runs = 0;
  let clean = 0;
  let drawn = 0;
  let refused = 0;
  let maxMs = 0;
  const record = (name: string, r: CaseResult): void => {
    runs++;
    maxMs = Math.max(maxMs, r.ms);
    if (r.ok) {
      clean++;
      if (r.why === 'refused') refused++;
      else drawn++;
    } else failures.push(`${name}: ${r.why}`);
  };
  try {
    const baseFile = join(work, 'base.json');
    writeFileSync(baseFile, JSON.stringify(base(300)));
    // every crafted reproducer, through report
    for (const [i, c] of craftedCases().entries()) {
      const file = join(work, `crafted-${i}.json`);
      writeFileSync(file, c.text());
      const out = c.out ?? join(work, `crafted-${i}-out`);
      const r = await judgeCli(['report', file, '--out', out], c.outcome, c.out ? null : out);
      record(`crafted "${c.name}" (report)`, r);
      o.log(`hostile-runs: crafted ${c.name}: ${r.ok ? r.why : `FAILED ${r.why}`} (${Math.round(r.ms)} ms)`);
    }
    // random mutations, through report and through compare against the unmutated base
    const count = Math.max(2, Math.round(200 * o.scale));
    for (let i = 0; i < count; i++) {
      const seed = (o.seed + i * 0x9e3779b1) >>> 0;
      const m = mutatedRun(seed);
      const file = join(work, `mutated-${i}.json`);
      writeFileSync(file, m.text);
      const out = join(work, `mutated-${i}-out`);
      mkdirSync(out, { recursive: true });
      const which = i % 2 === 0 ? 'report' : 'compare';
      const args = which === 'report' ? ['report', file, '--out', out] : ['compare', baseFile, file];
      record(`mutated seed ${seed} (${which}; ${m.what})`, await judgeCli(args, { any: true }, null));
      rmSync(file, { force: true });
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const crashesOrHangs = runs - clean;
  const result: SoakAreaResult = {
    area: 'hostile-runs',
    line: `hostile-runs: ${runs} crafted/mutated Run files through report and compare: ${drawn} drawn, ${refused} refused cleanly, ${crashesOrHangs} crashed, hung or leaked a control character (slowest ${Math.round(maxMs)} ms; seed ${o.seed})`,
    figures: { runs, drawn, refused, failed: crashesOrHangs, slowestMs: Math.round(maxMs) },
    ok: crashesOrHangs === 0,
    failures,
  };
  return result;
};

// runnable alone: node dist/src/soak/hostile-runs.js [scale] [seed]
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const scale = Number(process.argv[2] ?? 1);
  const seed = Number(process.argv[3] ?? Date.now() % 0x7fffffff);
  const r = await hostileRuns({ scale, seed, log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(r.line + '\n' + r.failures.map((f) => `  ✗ ${f}\n`).join(''));
  process.exitCode = r.ok ? 0 : 1;
}

// the soak's main imports an area's default export
export default hostileRuns;
