// Watching any program from outside (a Go binary, a C reproducer, a Node service): start it, or
// attach to a pid, observe it through the experiments' own pipeline (observation.ts, the VariantRun
// and Run of run-record.ts), and produce the same Run JSON. What is its own: marks from the program's
// stdout, a stop after --duration or Ctrl-C, and a bounded sample store for watches of any length.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { packageRoot } from '../package-root.js';
import type { Run, Sample, VariantRun } from '../run/schema.js';
import { allocatorEnv } from '../system/allocators.js';
import type { KnownAllocator } from '../run/allocator.js';
import { readThpSettings } from '../probe/thp.js';
import { describeLab } from './machine.js';
import { Observation } from './observation.js';
import { UsageError } from '../usage-error.js';
import { assembleRun, scoreVariant } from './run-record.js';
import { newVariantRun } from '../run/new-variant-run.js';
import type { Expectation, Mark } from '../run/schema.js';
import { createInterface } from 'node:readline';
import type { RunObserver } from './events.js';
import { SampleLog } from './sample-log.js';
import { AbortError, abortedBeforeStart } from './abort.js';
import { WatchSamples } from './watch-samples.js';

export interface WatchOptions {
  command?: string[];
  pid?: number;
  allocator?: string;
  thpDisable?: boolean;
  env?: Record<string, string>;
  intervalMs: number;
  durationMs?: number;
  observer?: RunObserver;
  /** judged on the Run and stored in it (see src/check/expect.ts for the text form) */
  expect?: Expectation[];
  /**
   * Lines of the command's stdout matching this become phase marks: the phase is the named group
   * `phase`, else the first group, else the whole line (a repeated name gets "#2", "#3"…). The
   * parent samples at once when it reads the line. The command must flush the line (fflush(stdout)
   * in C: stdio is fully buffered on a pipe). The output still reaches `stdoutTo`.
   */
  markOnStdout?: RegExp;
  /** where the command's stdout goes (default process.stdout; process.stderr keeps rsslab's stdout for JSON) */
  stdoutTo?: NodeJS.WritableStream;
  /**
   * Add a phase "settled" that starts this long after the last mark before the end, so that
   * `rss@start:settled` is "RSS N s after the last phase". The command must still be running then
   * (it idles after its work); if it exits sooner the phase is missing and the Run says why.
   */
  settleMs?: number;
  /**
   * Stream every sample to `watch-<startedAt>.samples.ndjson` in this folder (beside the Run the CLI
   * writes there); the Run itself then holds a bounded downsample. Without it, only the downsample.
   */
  sampleLogDir?: string;
  /** buckets of the in-memory downsample (default WATCH_BUCKETS); tests make it small */
  keepBuckets?: number;
  /** the command's working directory (default: this process's) */
  cwd?: string;
  /**
   * Cancels the watch: a command rsslab started is killed (SIGKILL), sampling stops, the sample log
   * is closed, and watch() rejects with an AbortError (its `cause` is the signal's reason). A
   * process given by pid is only no longer watched.
   */
  signal?: AbortSignal;
}

const HEADLINE = [
  { metric: 'rss@max', label: 'peak RSS' },
  { metric: 'rss@last', label: 'last RSS' },
  { metric: 'anonHuge@max', label: 'peak AnonHugePages' },
  { metric: 'lazyFree@max', label: 'peak LazyFree' },
];

/**
 * The marks of a watched process: "watch" at the first sample, the command's stdout marks, then
 * "settled" (settleMs after the last of them) when the command was still sampled by then, and "end"
 * at the last sample.
 */
function watchMarks(samples: Sample[], stdoutMarks: Mark[], durationMs: number, settleMs: number | undefined, skipped: Array<{ what: string; reason: string }>): Mark[] {
  const lastSampleMs = samples[samples.length - 1]?.tMs ?? durationMs;
  const marks: Mark[] = [{ tMs: samples[0]?.tMs ?? 0, phase: 'watch', label: 'watching' }, ...stdoutMarks.filter((m) => m.tMs <= lastSampleMs)];
  marks.sort((a, b) => a.tMs - b.tMs);
  if (settleMs !== undefined) {
    const last = marks[marks.length - 1]!;
    const at = samples.find((s) => s.tMs >= last.tMs + settleMs);
    if (at) marks.push({ tMs: at.tMs, phase: 'settled', label: `${settleMs} ms after ${last.phase}` });
    else {
      skipped.push({
        what: `the "settled" mark ${settleMs} ms after ${last.phase}`,
        reason: `the last sample was ${Math.round(lastSampleMs - last.tMs)} ms after it: the command stopped too soon (let it idle after its work, or shorten --settle)`,
      });
    }
  }
  marks.push({ tMs: lastSampleMs, phase: 'end', label: 'end' });
  return marks;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export async function watch(o: WatchOptions): Promise<Run> {
  if (!o.pid && !(o.command && o.command.length)) throw new UsageError('give a command after -- (rsslab watch -- ./server) or --pid N');
  if (o.pid && o.command && o.command.length) throw new UsageError('give a command or --pid, not both');
  if (o.pid && (o.allocator || o.thpDisable || (o.env && Object.keys(o.env).length))) {
    throw new UsageError('--allocator, --thp-disable and --env apply to a command rsslab starts, not to --pid');
  }
  if (o.pid && !existsSync(`/proc/${o.pid}`)) throw new UsageError(`no process with pid ${o.pid}`);
  if (o.pid && o.markOnStdout) throw new UsageError('--mark-on-stdout reads the output of a command rsslab starts, not of --pid');
  if (o.settleMs !== undefined && !(o.settleMs > 0)) throw new UsageError(`--settle must be a positive duration, got ${o.settleMs} ms`);
  if (o.pid && o.cwd !== undefined) throw new UsageError('cwd applies to a command rsslab starts, not to --pid');
  if (o.cwd !== undefined && !isDirectory(o.cwd)) throw new UsageError(`cwd ${o.cwd} is not a directory`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new UsageError('signal must be an AbortSignal (e.g. new AbortController().signal)');
  if (o.signal?.aborted) throw abortedBeforeStart('watch', o.signal);
  const lab = await describeLab();
  if (o.signal?.aborted) throw abortedBeforeStart('watch', o.signal);
  const emit = o.observer ?? (() => {});
  const env: Record<string, string> = { ...(o.env ?? {}) };
  let allocator: VariantRun['settings']['allocator'] = null;
  if (o.allocator) {
    const a = allocatorEnv(o.allocator as KnownAllocator, {}, { allocators: lab.allocators });
    if (!a.ok) throw new UsageError(`--allocator ${o.allocator}: ${a.reason}`);
    Object.assign(env, a.env);
    allocator = { name: a.name, version: a.version, library: a.library };
  }

  const startedAt = new Date();
  const originMs = performance.now();
  // bounded however long the watch runs: every sample to the log on disk, a downsample in memory
  const logName = `watch-${startedAt.toISOString().replace(/[:.]/g, '-')}.samples.ndjson`;
  let log: SampleLog | null = null;
  if (o.sampleLogDir !== undefined) {
    try {
      log = new SampleLog(join(o.sampleLogDir, logName));
    } catch (e) {
      throw new UsageError(`cannot create the sample log ${join(o.sampleLogDir, logName)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): choose another --out`);
    }
  }
  const kept = new WatchSamples(log, o.keepBuckets);
  let pid = o.pid ?? 0;
  // set from execa's promise callback; a box so control-flow narrowing does not pin it to null
  const ended: { exit: { exitCode: number | null; signal: string | null } | null } = { exit: null };
  const stdoutMarks: Mark[] = [];
  let child: ReturnType<typeof execa> | null = null;
  if (!o.pid) {
    const [file, ...args] = o.command!;
    const wrapper = join(packageRoot(), 'dist', 'src', 'lab', 'exec-thp.js');
    // with --json rsslab's stdout carries one JSON document: the command's own output goes to stderr (fd 2)
    const stdio = o.markOnStdout ? (['inherit', 'pipe', 'inherit'] as const) : o.stdoutTo === process.stderr ? (['inherit', 2, 'inherit'] as const) : ('inherit' as const);
    const spawnOpts = { env, extendEnv: true, stdio, reject: false, buffer: false, ...(o.cwd !== undefined ? { cwd: o.cwd } : {}) } as const;
    child = o.thpDisable ? execa(process.execPath, [wrapper, file!, ...args], spawnOpts) : execa(file!, args, spawnOpts);
    if (child.pid === undefined) {
      const r = await child;
      throw new UsageError(`cannot start ${file}: ${r.message ?? 'spawn failed'}`);
    }
    pid = child.pid;
  }
  const label = o.pid ? `pid ${o.pid}` : o.command!.join(' ');
  emit({ type: 'variant-start', experimentId: 'watch', variant: 'watched', label, repeat: 0 });
  let stop: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let processGone = false;
  let lastRssBytes: number | null = null;
  const observation = new Observation({
    pid,
    originMs,
    intervalMs: o.intervalMs,
    probe: { thp: true, memFree: true, cgroupPath: null },
    store: kept,
    onSample: (s, atMark) => {
      lastRssBytes = s.rssBytes;
      if (atMark) return true;
      emit({ type: 'sample', experimentId: 'watch', variant: 'watched', tMs: s.tMs, rssBytes: s.rssBytes });
      if (o.durationMs !== undefined && s.tMs >= o.durationMs) {
        stop();
        return false;
      }
      return true;
    },
    onGone: () => {
      processGone = true;
      stop();
    },
  });
  observation.start();
  if (child && o.markOnStdout && child.stdout) {
    const re = o.markOnStdout;
    const out = o.stdoutTo ?? process.stdout;
    // rsslab's own marks keep their names: a line saying "end" becomes phase "end#2"
    const seen = new Map<string, number>([['watch', 1], ['settled', 1], ['end', 1]]);
    child.stdout.on('data', (chunk: Buffer) => out.write(chunk));
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      const m = re.exec(line);
      if (!m) return;
      const tMs = performance.now() - originMs;
      const name = (m.groups?.phase ?? m[1] ?? line).trim() || 'mark';
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      const phase = n === 1 ? name : `${name}#${n}`;
      stdoutMarks.push({ tMs, phase, label: line.trim() });
      // the boundary's own sample, full (regions, LazyFree), taken as soon as the line is read
      const s = observation.mark(tMs);
      emit({ type: 'phase', experimentId: 'watch', variant: 'watched', phase, label: line.trim(), tMs, rssBytes: s?.rssBytes ?? 0 });
    });
  }
  const onSignal = (): void => stop();
  process.once('SIGINT', onSignal);
  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    stop();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();
  if (child) {
    void child.then((r) => {
      ended.exit = { exitCode: r.exitCode ?? null, signal: r.signal ?? null };
      stop();
    });
  }
  await finished;
  process.off('SIGINT', onSignal);
  o.signal?.removeEventListener('abort', onAbort);
  if (aborted) {
    const killed = child !== null && !ended.exit;
    if (killed) {
      child!.kill('SIGKILL');
      await child;
    }
    observation.close();
    log?.close();
    const elapsedMs = performance.now() - originMs;
    const stopped = { label, pid, killed, elapsedMs, phases: ['watch', ...stdoutMarks.map((m) => m.phase)], lastRssBytes };
    const what = killed ? `killed ${label} (pid ${pid})` : child ? `${label} (pid ${pid}) had already exited` : `stopped watching ${label}`;
    throw new AbortError(`watch aborted after ${Math.round(elapsedMs)} ms: ${what}`, stopped, { cause: o.signal!.reason });
  }
  // A command we started and stopped watching (--duration, Ctrl-C) does not outlive the watch.
  let stoppedByUs = false;
  if (child && !ended.exit) {
    // the sampler may see the process gone before execa reports its exit: then the end was its own
    stoppedByUs = !processGone;
    child.kill('SIGTERM');
    await child;
  }
  const stats = observation.close();
  log?.close();
  const samples = kept.samples();
  const durationMs = performance.now() - originMs;
  const watched = newVariantRun(
    { variant: 'watched', label, description: o.pid ? `an existing process, pid ${o.pid}` : `started by rsslab watch${o.thpDisable ? ' with PR_SET_THP_DISABLE' : ''}`, repeat: 0 },
    { thp: readThpSettings(), knobs: [], env, nodeArgs: [], thpDisable: o.thpDisable ?? false, allocator, cgroup: null, skippedSettings: [] },
    startedAt.toISOString(),
  );
  Object.assign(watched, { durationMs, samples, sampler: stats });
  // A command that died of a signal has no exit code (execa gives undefined): that is a failure
  // too, unless the signal was ours (--duration, Ctrl-C).
  const e = ended.exit;
  if (e && !stoppedByUs && (e.signal !== null || (e.exitCode ?? 0) !== 0)) {
    watched.status = 'failed';
    watched.failure = { reason: e.signal ? `the command was killed by ${e.signal}` : `the command exited with code ${e.exitCode}`, exitCode: e.exitCode, signal: e.signal, stderrTail: '', timedOut: false };
  }
  if (log) watched.sampleLog = { file: logName, samples: log.count, kept: samples.length, ...(log.error ? { error: log.error } : {}) };
  else if (kept.count > samples.length) watched.sampleLog = { file: null, samples: kept.count, kept: samples.length };
  watched.marks = watchMarks(samples, stdoutMarks, durationMs, o.settleMs, watched.settings.skippedSettings);
  scoreVariant(watched, HEADLINE, o.expect ?? []);
  const run = assembleRun({
    kind: 'watch',
    experiment: { id: 'watch', title: `watch: ${label}`, seed: null, summary: 'A program sampled from outside by rsslab watch.', story: [], params: {}, profile: 'default', headline: HEADLINE, series: ['anonHuge', 'lazyFree'] },
    machine: lab.machine,
    startedAt: startedAt.toISOString(),
    durationMs,
    command: ['rsslab', ...process.argv.slice(2)],
    variants: [watched],
    skipped: [],
    systemLog: [],
  });
  emit({ type: 'variant-end', experimentId: 'watch', result: watched });
  return run;
}
