// Watching any program from outside (a Go binary, a C reproducer, a Node service): start it, or
// attach to a pid, sample it like an experiment child, and produce the same Run JSON.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { packageRoot } from '../native.js';
import { RUN_SCHEMA, RUN_SCHEMA_VERSION, type Run, type Sample, type VariantRun } from '../run/schema.js';
import { allocatorEnv, type AllocatorName } from '../system/allocators.js';
import { readThpSettings } from '../probe/thp.js';
import { describeLab } from './machine.js';
import { ProcessProbe } from './process-probe.js';
import { Sampler } from './sampler.js';
import { UsageError } from './runner.js';
import { rsslabVersion } from './version.js';
import { evaluateMetric } from '../check/metric.js';
import type { RunObserver } from './events.js';

export interface WatchOptions {
  command?: string[];
  pid?: number;
  allocator?: string;
  thpDisable?: boolean;
  env?: Record<string, string>;
  intervalMs: number;
  durationMs?: number;
  observer?: RunObserver;
}

const HEADLINE = [
  { metric: 'rss@max', label: 'peak RSS' },
  { metric: 'rss@last', label: 'last RSS' },
  { metric: 'anonHuge@max', label: 'peak AnonHugePages' },
  { metric: 'lazyFree@max', label: 'peak LazyFree' },
];

export async function watch(o: WatchOptions): Promise<Run> {
  if (!o.pid && !(o.command && o.command.length)) throw new UsageError('give a command after -- (rsslab watch -- ./server) or --pid N');
  if (o.pid && o.command && o.command.length) throw new UsageError('give a command or --pid, not both');
  if (o.pid && (o.allocator || o.thpDisable || (o.env && Object.keys(o.env).length))) {
    throw new UsageError('--allocator, --thp-disable and --env apply to a command rsslab starts, not to --pid');
  }
  if (o.pid && !existsSync(`/proc/${o.pid}`)) throw new UsageError(`no process with pid ${o.pid}`);
  const lab = await describeLab();
  const emit = o.observer ?? (() => {});
  const env: Record<string, string> = { ...(o.env ?? {}) };
  let allocator: VariantRun['settings']['allocator'] = null;
  if (o.allocator) {
    const a = allocatorEnv(o.allocator as AllocatorName, {}, { allocators: lab.allocators });
    if (!a.ok) throw new UsageError(`--allocator ${o.allocator}: ${a.reason}`);
    Object.assign(env, a.env);
    allocator = { name: a.name, version: a.version, library: a.library };
  }

  const startedAt = new Date();
  const originMs = performance.now();
  const samples: Sample[] = [];
  let pid = o.pid ?? 0;
  let exit: { exitCode: number | null; signal: string | null; stderrTail: string } | null = null;
  let child: ReturnType<typeof execa> | null = null;
  if (!o.pid) {
    const [file, ...args] = o.command!;
    const wrapper = join(packageRoot(), 'dist', 'src', 'lab', 'exec-thp.js');
    child = o.thpDisable
      ? execa(process.execPath, [wrapper, file!, ...args], { env, extendEnv: true, stdio: 'inherit', reject: false })
      : execa(file!, args, { env, extendEnv: true, stdio: 'inherit', reject: false });
    if (child.pid === undefined) {
      const r = await child;
      throw new UsageError(`cannot start ${file}: ${r.message ?? 'spawn failed'}`);
    }
    pid = child.pid;
  }
  const label = o.pid ? `pid ${o.pid}` : o.command!.join(' ');
  emit({ type: 'variant-start', experimentId: 'watch', variant: 'watched', label, repeat: 0 });
  const probe = new ProcessProbe(pid, { thp: true, memFree: true, cgroupPath: null });
  let stop: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const sampler = new Sampler({
    intervalMs: o.intervalMs,
    originMs,
    tick: (tMs) => {
      const s = probe.sample(tMs, []);
      if (!s) {
        stop();
        return false;
      }
      samples.push(s);
      emit({ type: 'sample', experimentId: 'watch', variant: 'watched', tMs, rssBytes: s.rssBytes });
      if (o.durationMs !== undefined && tMs >= o.durationMs) {
        stop();
        return false;
      }
      return true;
    },
  });
  sampler.start();
  const onSignal = (): void => stop();
  process.once('SIGINT', onSignal);
  if (child) {
    void child.then((r) => {
      exit = { exitCode: r.exitCode ?? null, signal: r.signal ?? null, stderrTail: '' };
      stop();
    });
  }
  await finished;
  process.off('SIGINT', onSignal);
  // A command we started and stopped watching (--duration, Ctrl-C) does not outlive the watch.
  if (child && !exit) {
    child.kill('SIGTERM');
    await child;
  }
  const stats = sampler.stop();
  probe.close();
  const durationMs = performance.now() - originMs;
  const watched: VariantRun = {
    variant: 'watched',
    label,
    description: o.pid ? `an existing process, pid ${o.pid}` : `started by rsslab watch${o.thpDisable ? ' with PR_SET_THP_DISABLE' : ''}`,
    repeat: 0,
    status: 'ok',
    startedAt: startedAt.toISOString(),
    durationMs,
    settings: { thp: readThpSettings(), knobs: [], env, nodeArgs: [], thpDisable: o.thpDisable ?? false, allocator, cgroup: null, skippedSettings: [] },
    marks: [
      { tMs: samples[0]?.tMs ?? 0, phase: 'watch', label: 'watching' },
      { tMs: samples[samples.length - 1]?.tMs ?? durationMs, phase: 'end', label: 'end' },
    ],
    samples,
    reports: [],
    pageMaps: [],
    sampler: stats,
    expectations: [],
    metrics: {},
  };
  if (exit && ((exit as { exitCode: number | null }).exitCode ?? 0) !== 0) {
    const e = exit as { exitCode: number | null; signal: string | null; stderrTail: string };
    watched.status = 'failed';
    watched.failure = { reason: e.signal ? `the command was killed by ${e.signal}` : `the command exited with code ${e.exitCode}`, exitCode: e.exitCode, signal: e.signal, stderrTail: '', timedOut: false };
  }
  for (const h of HEADLINE) watched.metrics[h.metric] = evaluateMetric(watched, h.metric);
  const run: Run = {
    schema: RUN_SCHEMA,
    schemaVersion: RUN_SCHEMA_VERSION,
    rsslabVersion: rsslabVersion(),
    kind: 'watch',
    experiment: { id: 'watch', title: `watch: ${label}`, seed: null, summary: 'A program sampled from outside by rsslab watch.', story: [], params: {}, profile: 'default', headline: HEADLINE, series: ['anonHuge', 'lazyFree'] },
    machine: lab.machine,
    startedAt: startedAt.toISOString(),
    durationMs,
    command: ['rsslab', ...process.argv.slice(2)],
    variants: [watched],
    skipped: [],
    systemLog: [],
  };
  emit({ type: 'variant-end', experimentId: 'watch', result: watched });
  return run;
}
