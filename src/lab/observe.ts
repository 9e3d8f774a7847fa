// One subject, observed from outside: spawn it (the replay's Node child or a real counterpart, see
// subject.ts — execa, argument array, no shell), hand it its experiment, observe it (observation.ts:
// /proc/<pid> on a schedule and at every phase mark it announces), take page maps of its tagged
// regions, and collect what it reports. Returns the raw material of a VariantRun.
import { performance } from 'node:perf_hooks';
import type { AllocatorRecord, Mark, PageMap, Report, Sample, SamplerStats } from '../run/schema.js';
import { encodePages } from '../run/pagemap-codec.js';
import { Observation } from './observation.js';
import { AllSamples } from './sample-store.js';
import type { ChildMessage, ParentMessage } from './protocol.js';
import type { SubjectLauncher } from './subject.js';
import type { Params } from './experiment.js';
import type { TaggedRegion } from './process-probe.js';

export interface ObserveOptions {
  /** what to spawn: replaySubject(child.js) or realSubject(binary) */
  subject: SubjectLauncher;
  experimentId: string;
  /** file URL of the module whose default export is the experiment (the child imports it) */
  module: string;
  variantId: string;
  variantLabel: string;
  params: Params;
  thpDisable: boolean;
  env: Record<string, string>;
  intervalMs: number;
  timeoutMs: number;
  thpCounters: boolean;
  memFree: boolean;
  pageMaps: { everyMs: number; maxRegionBytes: number } | null;
  /** called with the child's pid before it starts its body (e.g. to move it into a cgroup) */
  beforeStart?: (pid: number) => void;
  cgroupPath: string | null;
  onPhase?: (mark: Mark, rssBytes: number) => void;
  onSample?: (sample: Sample) => void;
  onReport?: (report: Report) => void;
  onPageMap?: (pageMap: PageMap) => void;
  onLog?: (message: string) => void;
  /**
   * Awaited at each phase mark after its sample and page maps are taken and BEFORE the child is
   * acked: the child waits for the ack, so the experiment stays at the boundary until this
   * resolves (the workshop's step-through waits here for the presenter). A rejection is logged and
   * the child let go. The sampler keeps sampling meanwhile, so the pause shows on the chart.
   */
  beforeAck?: (mark: Mark) => Promise<void>;
}

export interface ChildObservation {
  samples: Sample[];
  marks: Mark[];
  reports: Report[];
  pageMaps: PageMap[];
  sampler: SamplerStats | null;
  allocator: AllocatorRecord | null;
  thpDisableInChild: boolean | null;
  done: boolean;
  failure: { reason: string; exitCode: number | null; signal: string | null; stderrTail: string; timedOut: boolean } | null;
  durationMs: number;
}

const STDERR_TAIL_BYTES = 4000;

export async function observeChild(o: ObserveOptions): Promise<ChildObservation> {
  const originMs = performance.now();
  const store = new AllSamples();
  const marks: Mark[] = [];
  const reports: Report[] = [];
  const pageMaps: PageMap[] = [];
  const regions = new Map<string, TaggedRegion>();
  let phase = 'start';
  let allocator: ChildObservation['allocator'] = null;
  let thpDisableInChild: boolean | null = null;
  let done = false;
  let childFailure: string | null = null;
  let stderr = '';
  let observation: Observation | null = null;
  let lastPageMapMs = 0;

  const subject = o.subject.spawn({ env: o.env, timeoutMs: o.timeoutMs });
  const child = subject.process;
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_TAIL_BYTES);
  });
  child.stdout?.on('data', (d: Buffer) => o.onLog?.(d.toString().trimEnd()));

  const send = (m: ParentMessage): void => subject.send(m);

  const takePageMaps = (tMs: number): void => {
    if (!observation || !o.pageMaps) return;
    for (const [name, r] of regions) {
      if (r.sizeBytes > o.pageMaps.maxRegionBytes) continue;
      const map = observation.pageMap(r);
      if (!map) continue;
      const pm: PageMap = { tMs, phase, region: name, pageSize: map.pageSize, source: map.source, pages: encodePages(map.pages) };
      pageMaps.push(pm);
      o.onPageMap?.(pm);
    }
    lastPageMapMs = tMs;
  };

  // every sample, scheduled or at a mark: told to the runner, and page maps on their own schedule
  const onSample = (s: Sample): boolean => {
    o.onSample?.(s);
    if (o.pageMaps && o.pageMaps.everyMs > 0 && s.tMs - lastPageMapMs >= o.pageMaps.everyMs) takePageMaps(s.tMs);
    return true;
  };

  // The state at a boundary, taken while the subject waits for our ack.
  const atMark = (mark: Mark): void => {
    phase = mark.phase;
    marks.push(mark);
    observation?.mark(mark.tMs);
    takePageMaps(mark.tMs);
    // The body is over: what follows is the child tearing down (its exit frees everything),
    // which is not part of the experiment and would only blur "RSS at the end".
    if (mark.phase === 'end') observation?.stop();
    o.onPhase?.(mark, observation?.last?.rssBytes ?? 0);
  };

  const onMessage = (m: ChildMessage): void => {
    const tMs = performance.now() - originMs;
    switch (m.type) {
      case 'ready': {
        const pid = child.pid!;
        try {
          o.beforeStart?.(pid);
        } catch (e) {
          childFailure = `could not prepare the child: ${(e as Error).message}`;
          child.kill('SIGKILL');
          return;
        }
        observation = new Observation({
          pid,
          originMs,
          intervalMs: o.intervalMs,
          probe: { thp: o.thpCounters, memFree: o.memFree, cgroupPath: o.cgroupPath },
          store,
          regions: () => [...regions.values()],
          onSample,
        });
        observation.start();
        send({ type: 'start', experimentId: o.experimentId, module: o.module, variantId: o.variantId, variantLabel: o.variantLabel, params: o.params, thpDisable: o.thpDisable });
        break;
      }
      case 'info':
        allocator = m.allocator;
        thpDisableInChild = m.thpDisable;
        break;
      case 'mark': {
        const mark: Mark = { tMs, phase: m.phase, label: m.label };
        atMark(mark);
        const seq = m.seq;
        if (o.beforeAck) {
          o.beforeAck(mark)
            .catch((e: unknown) => o.onLog?.(`the phase hook failed, going on: ${(e as Error).message}`))
            .finally(() => send({ type: 'ack', seq }));
        } else send({ type: 'ack', seq });
        break;
      }
      case 'tag': {
        let address: bigint;
        try {
          address = BigInt(m.address);
        } catch {
          childFailure = `child tagged region "${m.name}" with a bad address ${m.address}`;
          send({ type: 'ack', seq: m.seq });
          break;
        }
        regions.set(m.name, { name: m.name, address, sizeBytes: m.sizeBytes });
        send({ type: 'ack', seq: m.seq });
        break;
      }
      case 'untag':
        regions.delete(m.name);
        send({ type: 'ack', seq: m.seq });
        break;
      case 'report': {
        const report: Report = { tMs, phase, values: m.values };
        reports.push(report);
        o.onReport?.(report);
        break;
      }
      case 'log':
        o.onLog?.(m.message);
        break;
      case 'done':
        // A program that says done without marking the end: its end is now, before it exits.
        if (!marks.some((x) => x.phase === 'end')) atMark({ tMs, phase: 'end', label: 'end' });
        done = true;
        break;
      case 'fail':
        childFailure = `the experiment body threw: ${m.code ? m.code + ': ' : ''}${m.message}`;
        if (m.stack) stderr = (stderr + '\n' + m.stack).slice(-STDERR_TAIL_BYTES);
        break;
    }
  };
  subject.onMessage(onMessage);

  const result = await child;
  // set in a message handler: without the cast TypeScript narrows it to its initial null here
  const stats = (observation as Observation | null)?.close() ?? null;
  const durationMs = performance.now() - originMs;

  let failure: ChildObservation['failure'] = null;
  if (!done || childFailure || result.exitCode !== 0) {
    const timedOut = result.timedOut === true;
    const reason =
      childFailure ??
      (timedOut
        ? `the child did not finish within ${Math.round(o.timeoutMs / 1000)} s and was killed (raise --timeout if the machine is slow)`
        : result.signal
          ? `the child was killed by ${result.signal}${result.signal === 'SIGKILL' && o.cgroupPath ? ' (likely the OOM killer inside its memory cgroup)' : ''}`
          : `the child exited with code ${result.exitCode ?? '?'} before finishing`);
    failure = { reason, exitCode: result.exitCode ?? null, signal: result.signal ?? null, stderrTail: stderr.trim(), timedOut };
  }
  return { samples: store.samples(), marks, reports, pageMaps, sampler: stats, allocator, thpDisableInChild, done, failure, durationMs };
}
