// The measured process. It runs one experiment body and nothing else: it tells the parent where it
// is (phase marks), which regions to look at, and the numbers only it can know (live bytes, V8
// heap, its allocator's own statistics). It never samples, formats or judges.
import { getThpDisable, setThpDisable } from '../core/thp.js';
import { allocatorStats, detectAllocator } from '../core/allocator.js';
import { checkDefinition } from './definition-check.js';
import type { ChildContext, Params, TaggableRegion } from './experiment.js';
import type { ChildMessage, ParentMessage } from './protocol.js';

if (!process.send) {
  console.error('rsslab: src/lab/child.js is started by the runner (rsslab run), not by hand.');
  process.exit(2);
}

const send = (m: ChildMessage): void => {
  process.send!(m);
};

let seq = 0;
const waiting = new Map<number, () => void>();
let onStart: ((m: Extract<ParentMessage, { type: 'start' }>) => void) | null = null;

process.on('message', (m: ParentMessage) => {
  if (m.type === 'ack') {
    const resolve = waiting.get(m.seq);
    waiting.delete(m.seq);
    resolve?.();
  } else if (m.type === 'start') {
    onStart?.(m);
  }
});

// The parent is the observer: if it goes away there is nobody to measure for.
process.on('disconnect', () => process.exit(0));

type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

function request(m: WithoutSeq<Extract<ChildMessage, { seq: number }>>): Promise<void> {
  const id = ++seq;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    send({ ...m, seq: id } as ChildMessage);
  });
}

async function main(): Promise<void> {
  const start = await new Promise<Extract<ParentMessage, { type: 'start' }>>((resolve) => {
    onStart = resolve;
    send({ type: 'ready' });
  });
  // The same module the parent loaded the definition from (a built-in or a user's file).
  const mod = (await import(start.module)) as { default?: unknown };
  const def = checkDefinition(mod.default, start.module);
  if (def.id !== start.experimentId) throw new Error(`${start.module} defines experiment "${def.id}", not "${start.experimentId}"`);

  // Seed 004's per-process fix, set before the body touches any memory: the kernel then neither
  // faults in huge pages nor lets khugepaged collapse this process's ranges.
  if (start.thpDisable) setThpDisable(true);
  send({ type: 'info', allocator: detectAllocator(), thpDisable: getThpDisable(), pid: process.pid });

  const ctx: ChildContext<Params> = {
    params: start.params,
    variant: { id: start.variantId, label: start.variantLabel },
    phase: (phase, label) => request({ type: 'mark', phase, label: label ?? phase }),
    tag: (name: string, region: TaggableRegion) =>
      request({ type: 'tag', name, address: '0x' + region.address.toString(16), sizeBytes: region.length }),
    untag: (name) => request({ type: 'untag', name }),
    report: (values) => send({ type: 'report', values }),
    reportAllocator: () => {
      const s = allocatorStats();
      send({
        type: 'report',
        values: {
          'alloc.allocated': s.allocated,
          'alloc.active': s.active,
          'alloc.resident': s.resident,
          'alloc.mapped': s.mapped,
          'alloc.retained': s.retained,
          'alloc.metadata': s.metadata,
          'alloc.free': s.free,
        },
      });
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (message) => send({ type: 'log', message }),
  };
  await def.body(ctx);
  // The end of the last phase: the parent takes its final sample at this mark.
  await request({ type: 'mark', phase: 'end', label: 'end' });
  send({ type: 'done' });
}

main().then(
  () => process.disconnect?.(),
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ type: 'fail', message: e.message, stack: e.stack ?? null, code: (e as { code?: string }).code ?? null });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
