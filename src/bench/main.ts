// `npm run bench`: rsslab's own performance — time to reproduce each case, the sampler's cost and
// rate, the addon's overhead over C, the page map's cost, and how they grow with size and with the
// number of mappings. Figures go to a JSON file (bench-results/<timestamp>.json or --out) and a table
// on stdout; progress goes to stderr. Never part of the timed tests (test/bench only smoke-tests it).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, CommanderError } from 'commander';
import { describeMachine, type MachineFacts } from '../probe/machine.js';
import { withSystemLock } from '../system/lock.js';
import { rsslabVersion } from '../lab/version.js';
import { benchAddon, compileC, compileLoop, type Compiled } from './addon-bench.js';
import { startHolder } from './holder.js';
import { benchPageMap } from './pagemap-bench.js';
import { BENCH_NAMES, PROFILES, parseOnly, type BenchName, type BenchProfile, type HolderSpec } from './profile.js';
import { benchLongReport } from './long-report-bench.js';
import { benchReport } from './report-bench.js';
import { benchReproduce } from './reproduce-bench.js';
import { BENCH_SCHEMA, BENCH_SCHEMA_VERSION, type BenchResults } from './result.js';
import { PROBE_MODES, benchSampler } from './sampler-bench.js';
import { renderTables } from './table.js';

interface CliOptions {
  quick: boolean;
  out?: string;
  only?: string;
}

const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const sameSpec = (a: HolderSpec, b: HolderSpec): boolean => a.totalBytes === b.totalBytes && a.mappings === b.mappings && a.hint === b.hint;

function defaultOut(): string {
  return resolve('bench-results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
}

/** One child per memory shape, reused by the sampler and page-map benches, stopped before the next starts (at most one 4 GiB child at a time). */
async function runHolders(profile: BenchProfile, benches: BenchName[], r: BenchResults): Promise<void> {
  const wantSampler = benches.includes('sampler');
  const wantPageMap = benches.includes('pagemap');
  const specs: HolderSpec[] = [];
  for (const s of [...(wantSampler ? profile.samplerHolders : []), ...(wantPageMap ? profile.pageMapHolders : [])]) {
    if (!specs.some((x) => sameSpec(x, s))) specs.push(s);
  }
  // the page map's reference: the same reads in C (pagemap-raw.c); without cc the reference is skipped
  let raw: Compiled | null = null;
  if (wantPageMap) {
    raw = await compileC('pagemap-raw');
    if (!raw.ok) r.skipped.push({ bench: 'pagemap', reason: `no C reference: ${raw.reason}` });
  }
  try {
    await holdersLoop(profile, benches, r, specs, raw?.ok ? raw.binary : null);
  } finally {
    if (raw?.ok) rmSync(raw.dir, { recursive: true, force: true });
  }
}

async function holdersLoop(profile: BenchProfile, benches: BenchName[], r: BenchResults, specs: HolderSpec[], rawBinary: string | null): Promise<void> {
  const wantSampler = benches.includes('sampler');
  const wantPageMap = benches.includes('pagemap');
  for (const spec of specs) {
    const what = `${spec.totalBytes} bytes in ${spec.mappings} mapping(s), hint ${spec.hint}`;
    log(`child holding ${what}`);
    let holder;
    try {
      holder = await startHolder(spec);
    } catch (e) {
      r.errors.push({ bench: wantSampler ? 'sampler' : 'pagemap', what, message: errorMessage(e) });
      continue;
    }
    try {
      if (wantSampler && profile.samplerHolders.some((x) => sameSpec(x, spec))) {
        for (const mode of PROBE_MODES) {
          try {
            r.sampler.push(await benchSampler(holder, mode, profile));
          } catch (e) {
            r.errors.push({ bench: 'sampler', what: `${what}, ${mode}`, message: errorMessage(e) });
          }
        }
      }
      if (wantPageMap && profile.pageMapHolders.some((x) => sameSpec(x, spec))) {
        try {
          r.pageMap.push(await benchPageMap(holder, profile.pageMapRepeats, rawBinary));
        } catch (e) {
          r.errors.push({ bench: 'pagemap', what, message: errorMessage(e) });
        }
      }
    } finally {
      await holder.stop();
    }
  }
}

async function runAddon(profile: BenchProfile, r: BenchResults): Promise<void> {
  const compiled = await compileLoop();
  if (!compiled.ok) {
    r.skipped.push({ bench: 'addon', reason: compiled.reason });
    return;
  }
  r.addon.compiler = compiled.compiler;
  try {
    for (const hint of ['none', 'hugepage'] as const) {
      log(`addon: madvise loop over ${profile.addonRegionBytes} bytes, hint ${hint}`);
      try {
        r.addon.figures.push(await benchAddon(compiled.binary, profile.addonRegionBytes, profile.addonRepeats, hint));
      } catch (e) {
        r.errors.push({ bench: 'addon', what: `hint ${hint}`, message: errorMessage(e) });
      }
    }
  } finally {
    rmSync(compiled.dir, { recursive: true, force: true });
  }
}

async function runReproduce(profile: BenchProfile, r: BenchResults): Promise<void> {
  for (const id of profile.reproduce) {
    log(`reproduce: ${id}`);
    try {
      r.reproduce.push(await benchReproduce(id, profile.name === 'quick', (m) => log(`  ${m}`)));
    } catch (e) {
      r.errors.push({ bench: 'reproduce', what: id, message: errorMessage(e) });
    }
  }
  if (profile.name === 'quick') r.skipped.push({ bench: 'reproduce', reason: 'quick profile: only madv-free is reproduced (thp-khugepaged and faiss-cycles take tens of seconds)' });
}

/**
 * When the bench will change knobs (the THP case, as root), the machine is described holding rsslab's
 * lock, so its THP settings are the machine's own and not another rsslab run's temporary speed-up.
 */
async function machineAtRest(profile: BenchProfile, benches: BenchName[]): Promise<MachineFacts> {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const changesKnobs = root && benches.includes('reproduce') && profile.reproduce.includes('thp-khugepaged');
  return changesKnobs ? withSystemLock(() => describeMachine(), { log }) : describeMachine();
}

export async function runBench(opts: CliOptions, argv: string[]): Promise<{ results: BenchResults; outFile: string }> {
  const benches = parseOnly(opts.only);
  const profile = PROFILES[opts.quick ? 'quick' : 'full'];
  const outFile = resolve(opts.out ?? defaultOut());
  const started = Date.now();
  const t0 = performance.now();
  const r: BenchResults = {
    schema: BENCH_SCHEMA,
    schemaVersion: BENCH_SCHEMA_VERSION,
    rsslabVersion: rsslabVersion(),
    profile: profile.name,
    benches,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    command: argv,
    machine: { ...(await machineAtRest(profile, benches)), cpuModel: os.cpus()[0]?.model ?? 'unknown' },
    loadAverage: { start: os.loadavg(), end: [] },
    reproduce: [],
    sampler: [],
    addon: { compiler: null, figures: [] },
    pageMap: [],
    report: null,
    longReport: null,
    skipped: [],
    errors: [],
  };
  // The machine-changing bench runs first, while nothing of ours holds memory.
  if (benches.includes('reproduce')) await runReproduce(profile, r);
  if (benches.includes('sampler') || benches.includes('pagemap')) await runHolders(profile, benches, r);
  if (benches.includes('addon')) await runAddon(profile, r);
  if (benches.includes('report')) {
    log('report: a quick madv-free run, rendered');
    try {
      r.report = await benchReport();
    } catch (e) {
      r.errors.push({ bench: 'report', what: 'madv-free quick', message: errorMessage(e) });
    }
    log(`report: ${profile.longReportSamples} watch samples through WatchSamples + the sample log, written, opened ${profile.longReportOpens}× in chromium`);
    try {
      r.longReport = await benchLongReport(profile.longReportSamples, profile.longReportOpens);
      if (r.longReport.openSkipped !== null) r.skipped.push({ bench: 'report', reason: `the long report was not opened: ${r.longReport.openSkipped}` });
    } catch (e) {
      r.errors.push({ bench: 'report', what: `long report, ${profile.longReportSamples} samples`, message: errorMessage(e) });
    }
  }
  r.loadAverage.end = os.loadavg();
  r.durationMs = performance.now() - t0;
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(r, null, 2) + '\n');
  return { results: r, outFile };
}

async function main(): Promise<number> {
  const program = new Command()
    .name('npm run bench --')
    .description("rsslab's own performance: time to reproduce, sampler cost, addon overhead, page maps")
    .option('--quick', 'small sizes and few repeats (the smoke test)', false)
    .option('--out <file>', 'where to write the JSON (default: bench-results/<timestamp>.json)')
    .option('--only <names>', `comma-separated benches to run: ${BENCH_NAMES.join(', ')}`)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const opts = program.opts<CliOptions>();
  let outcome;
  try {
    outcome = await runBench(opts, process.argv.slice(2));
  } catch (e) {
    if (e instanceof RangeError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  process.stdout.write(renderTables(outcome.results) + '\n');
  process.stdout.write(`\nfigures written to ${outcome.outFile}\n`);
  return outcome.results.errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
