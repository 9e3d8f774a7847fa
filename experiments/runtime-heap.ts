// Seed 001 (a Go batch job OOM-killed after reading a 1.7 GB protobuf), replayed on Node's own
// runtime: decode a large input into many small objects, drop them, force a GC, then malloc_trim.
// The runtime's view (V8 heapUsed/heapTotal, external, arrayBuffers) against the kernel's (RSS):
// after the GC the live heap is back near zero (Go's `Alloc = 5 MiB`), RSS is not (`Sys = 11996 MiB`),
// because V8 keeps heap pages for reuse and the freed Buffer memory sits in glibc's free lists.
import { defineExperiment, evaluateMetric, mallocTrim, type VariantOutcome } from '../src/lab/index.js';
import { PerformanceObserver } from 'node:perf_hooks';

type RuntimeHeapParams = {
  /** bytes of newline-delimited JSON to read and decode */
  inputBytes: number;
  /** the read size, as a stream delivers it (fs streams: 64 KiB) */
  chunkBytes: number;
  /** each record carries a binary payload of this many bytes at most (copied into a Buffer) */
  payloadMaxBytes: number;
  /** after gc(): time for V8's sweeper and the ArrayBuffer backing stores to be freed */
  settleMs: number;
  /** at the end: does anything come back on its own (V8's memory reducer)? */
  idleMs: number;
};

const MiB = 1024 * 1024;

/** One record of the input, the way a protobuf/JSON decoder materialises it: many small objects. */
function encodeRecord(i: number, payloadMaxBytes: number): string {
  const payloadBytes = 16 + ((i * 2654435761) % Math.max(1, payloadMaxBytes - 16));
  return (
    JSON.stringify({
      id: i,
      name: 'user-' + i.toString(36),
      tags: ['t' + (i % 97), 'g' + (i % 13), 'x' + (i % 7)],
      score: ((i * 7919) % 1000) / 10,
      ts: 1_700_000_000_000 + i,
      geo: { lat: (i % 180) - 90, lon: (i % 360) - 180 },
      payload: 'p'.repeat(payloadBytes),
    }) + '\n'
  );
}

/** The input as a stream delivers it: a list of chunkBytes Buffers (each one malloc'd by Node). */
function readInput(inputBytes: number, chunkBytes: number, payloadMaxBytes: number): { chunks: Buffer[]; records: number } {
  const chunks: Buffer[] = [];
  let total = 0;
  let i = 0;
  let cur = Buffer.allocUnsafe(chunkBytes);
  let off = 0;
  while (total + off < inputBytes) {
    const rec = encodeRecord(i, payloadMaxBytes);
    const len = Buffer.byteLength(rec);
    if (off + len > cur.length) {
      chunks.push(cur.subarray(0, off));
      total += off;
      cur = Buffer.allocUnsafe(chunkBytes);
      off = 0;
    }
    cur.write(rec, off, 'latin1');
    off += len;
    i++;
  }
  chunks.push(cur.subarray(0, off));
  return { chunks, records: i };
}

interface DecodedRecord {
  id: number;
  name: string;
  tags: string[];
  score: number;
  ts: number;
  geo: { lat: number; lon: number };
  payload: Buffer;
}

function decode(chunks: Buffer[]): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (const c of chunks) {
    let s = 0;
    for (;;) {
      const e = c.indexOf(10, s);
      if (e < 0) break;
      const o = JSON.parse(c.toString('latin1', s, e)) as Omit<DecodedRecord, 'payload'> & { payload: string };
      // bytes fields decode into their own Buffer: small ones come from Node's 8 KiB pool slabs,
      // which are malloc'd — the part of the runtime's memory that glibc, not V8, holds after GC
      out.push({ ...o, payload: Buffer.from(o.payload, 'latin1') });
      s = e + 1;
    }
  }
  return out;
}

function memoryValues(): Record<string, number> {
  const m = process.memoryUsage();
  return {
    'v8.heapUsed': m.heapUsed,
    'v8.heapTotal': m.heapTotal,
    'v8.external': m.external,
    'v8.arrayBuffers': m.arrayBuffers,
  };
}

function at(outcome: VariantOutcome, ref: string): number | null {
  return evaluateMetric({ ...outcome, metrics: {} }, ref);
}

function diff(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b;
}

const NODE_GC = '--expose-gc';

export default defineExperiment<RuntimeHeapParams>({
  id: 'runtime-heap',
  title: "A garbage-collected runtime's view against the kernel's: decode, drop, GC, trim",
  seed: 'seed 001 (Go batch job OOM-killed after a 1.7 GB protobuf), on Node/V8',
  summary:
    'Decodes a large input into many small JS objects (each with a small Buffer), drops them and forces a GC. ' +
    "V8's heapUsed falls to almost nothing, RSS does not: V8 keeps some heap pages and the freed Buffer " +
    "memory goes back to glibc's free lists, not to the kernel, until malloc_trim(0). The V8 flag variants " +
    'trade GC work for peak memory, as GOGC did for the seed.',
  story: [
    { phase: 'baseline', title: 'A fresh Node process', text: 'What the runtime needs before any work: code, V8 heap, libraries.' },
    {
      phase: 'read',
      title: 'Read the input',
      text: 'The input arrives in 64 KiB chunks (a stream). Each chunk is a Buffer malloc\'d outside the V8 heap: it counts in external/arrayBuffers, not heapUsed.',
    },
    {
      phase: 'decode',
      title: 'Decode into objects',
      text: 'Every record becomes several small JS objects plus a small Buffer. The V8 heap grows (heapUsed, heapTotal) and so does RSS, by more than the input: decoded data is larger than its encoding (seed 001: 1.7 GB in, 11 GiB of heap).',
    },
    {
      phase: 'dropped',
      title: 'Drop the references',
      text: 'Nothing changes yet: the objects are garbage, but nobody has collected them (seed 002: "garbage not yet collected").',
    },
    {
      phase: 'gc',
      title: 'Force a full GC',
      text: 'heapUsed falls to almost nothing, like Go\'s Alloc after runtime.GC(). RSS falls by much less: V8 keeps part of its heap pages, and every freed Buffer went to glibc\'s free lists, where it stays resident (the seed\'s Sys).',
    },
    {
      phase: 'trimmed',
      title: 'malloc_trim(0)',
      text: 'glibc walks its arenas and returns whole free pages with MADV_DONTNEED: the Buffer memory leaves RSS. The analogue of debug.FreeOSMemory(): it returns what the allocator holds, not what V8 keeps.',
    },
    { phase: 'idle', title: 'Idle', text: "What is left: V8's retained heap pages and what glibc could not trim. Nothing more comes back by waiting." },
  ],
  params: {
    inputBytes: { type: 'bytes', default: 128 * MiB, min: 1 * MiB, max: 2048 * MiB, description: 'bytes of JSON input to read and decode (decoded objects take ~2x)' },
    chunkBytes: { type: 'bytes', default: 64 * 1024, min: 4096, max: 16 * MiB, description: 'read size: each chunk is one malloc\'d Buffer (fs streams use 64 KiB)' },
    payloadMaxBytes: { type: 'bytes', default: 256, min: 32, max: 4096, description: 'largest per-record binary payload (a Buffer from the 8 KiB pool)' },
    settleMs: { type: 'ms', default: 500, min: 0, max: 60_000, description: "after gc(): time for the sweeper to free ArrayBuffer backing stores" },
    idleMs: { type: 'ms', default: 3000, min: 0, max: 600_000, description: 'final idle: does anything come back by itself?' },
  },
  quick: { inputBytes: 32 * MiB, idleMs: 1000 },
  variants: [
    {
      id: 'default',
      label: 'V8 defaults',
      description: "Node's own heap sizing. The baseline for the flag variants.",
      nodeArgs: [NODE_GC],
      default: true,
    },
    {
      id: 'semi-1mb',
      label: '--max-semi-space-size=1',
      description:
        'A 1 MiB young generation: many more scavenges while decoding (more GC work), less memory between them — the GOGC=10 side of the trade-off.',
      nodeArgs: [NODE_GC, '--max-semi-space-size=1'],
      default: true,
    },
    {
      id: 'semi-64mb',
      label: '--max-semi-space-size=64',
      description: 'A 64 MiB young generation: fewer scavenges, more memory taken from the kernel for the same work — the high-GOGC side.',
      nodeArgs: [NODE_GC, '--max-semi-space-size=64'],
    },
    {
      id: 'optimize-for-size',
      label: '--optimize-for-size',
      description: 'V8 favours memory over speed (smaller heap growth steps, more frequent GCs).',
      nodeArgs: [NODE_GC, '--optimize-for-size'],
    },
  ],
  sampling: { intervalMs: 20 },
  timeoutMs: (p) => 60_000 + Math.ceil(p.inputBytes / MiB) * 400 + p.idleMs + p.settleMs,
  headline: [
    { metric: 'rss@max:decode', label: 'RSS peak' },
    { metric: 'v8.heapUsed@end:decode', label: 'heapUsed decoded' },
    { metric: 'v8.heapUsed@end:gc', label: 'heapUsed after GC' },
    { metric: 'rss@end:gc', label: 'RSS after GC' },
    { metric: 'rss@end:trimmed', label: 'RSS after trim' },
    { metric: 'gc.count@end:decode', label: 'GCs while decoding' },
  ],
  series: ['v8.heapUsed', 'v8.heapTotal', 'v8.external', 'v8.arrayBuffers'],
  metrics: (outcome) => {
    const rssDecoded = at(outcome, 'rss@end:decode');
    const rssGc = at(outcome, 'rss@end:gc');
    const rssTrimmed = at(outcome, 'rss@end:trimmed');
    const rssBaseline = at(outcome, 'rss@end:baseline');
    const heapFreed = diff(at(outcome, 'v8.heapUsed@end:decode'), at(outcome, 'v8.heapUsed@end:gc'));
    const externalFreed = diff(at(outcome, 'v8.external@end:decode'), at(outcome, 'v8.external@end:gc'));
    const decodeStart = outcome.marks.find((m) => m.phase === 'decode');
    const decodeEnd = outcome.marks.find((m) => m.phase === 'dropped');
    return {
      // what the runtime says it let go of at the GC: heap objects plus Buffer memory
      runtimeFreedByGcBytes: heapFreed === null || externalFreed === null ? null : heapFreed + externalFreed,
      rssFreedByGcBytes: diff(rssDecoded, rssGc),
      rssFreedByTrimBytes: diff(rssGc, rssTrimmed),
      rssHeldAfterGcBytes: diff(rssGc, rssBaseline),
      rssHeldAfterTrimBytes: diff(rssTrimmed, rssBaseline),
      decodeDurationMs: decodeStart && decodeEnd ? decodeEnd.tMs - decodeStart.tMs : null,
    };
  },
  expectations: (_variant, p) => [
    {
      id: 'gc-empties-heap',
      text: "after gc() V8's live heap is back to a small fraction of the decoded one (Go's Alloc = 5 MiB)",
      left: 'v8.heapUsed@end:gc',
      op: '<=',
      right: 'v8.heapUsed@end:decode',
      factor: 0.25,
    },
    {
      id: 'rss-lags-runtime',
      text: 'RSS falls by much less than the runtime freed at the GC (heap objects + Buffer memory): the seed\'s Sys stays up',
      left: 'metric.rssFreedByGcBytes',
      op: '<=',
      right: 'metric.runtimeFreedByGcBytes',
      factor: 0.8,
    },
    {
      id: 'rss-held-after-gc',
      text: 'after the GC RSS is still well above the baseline (memory kept by V8 and by glibc for reuse)',
      left: 'metric.rssHeldAfterGcBytes',
      op: '>=',
      right: p.inputBytes,
      factor: 0.5,
    },
    {
      id: 'trim-returns-more',
      text: 'malloc_trim(0) returns a good part of what the GC left in RSS: the freed Buffers were in glibc\'s free lists',
      left: 'metric.rssFreedByTrimBytes',
      op: '>=',
      right: 'metric.rssHeldAfterGcBytes',
      factor: 0.25,
    },
  ],
  body: async (ctx) => {
    const { inputBytes, chunkBytes, payloadMaxBytes, settleMs, idleMs } = ctx.params;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (typeof gc !== 'function') {
      throw new Error('runtime-heap needs a forced GC: run the child with --expose-gc (every variant of this experiment sets it in nodeArgs)');
    }
    // Count the GCs V8 runs on its own while decoding: the CPU side of the memory trade-off.
    let gcCount = 0;
    let gcDurationMs = 0;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gcCount++;
        gcDurationMs += e.duration;
      }
    });
    const gcValues = (): Record<string, number> => ({ 'gc.count': gcCount, 'gc.durationMs': gcDurationMs });

    await ctx.phase('baseline', 'a fresh Node process');
    ctx.report(memoryValues());

    await ctx.phase('read', `read ${(inputBytes / MiB).toFixed(0)} MiB in ${(chunkBytes / 1024).toFixed(0)} KiB chunks`);
    let input: { chunks: Buffer[]; records: number } | null = readInput(inputBytes, chunkBytes, payloadMaxBytes);
    ctx.report({ ...memoryValues(), records: input.records });

    await ctx.phase('decode', 'decode into objects');
    observer.observe({ entryTypes: ['gc'] });
    const cpuBefore = process.cpuUsage();
    let records: DecodedRecord[] | null = decode(input.chunks);
    const cpu = process.cpuUsage(cpuBefore);
    // GC entries are delivered asynchronously: let the observer see the decode's collections
    await ctx.sleep(50);
    ctx.report({ ...memoryValues(), ...gcValues(), 'cpu.decodeMs': (cpu.user + cpu.system) / 1000, records: records.length });
    observer.disconnect();

    await ctx.phase('dropped', 'references dropped, not collected');
    records = null;
    input = null;
    ctx.report(memoryValues());

    await ctx.phase('gc', 'gc()');
    gc();
    gc();
    await ctx.sleep(settleMs);
    ctx.report(memoryValues());

    await ctx.phase('trimmed', 'malloc_trim(0)');
    const released = mallocTrim(0);
    ctx.report({ ...memoryValues(), 'trim.released': released ? 1 : 0 });

    await ctx.phase('idle', 'idle');
    await ctx.sleep(idleMs);
    ctx.report(memoryValues());
  },
});
