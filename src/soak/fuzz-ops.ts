// The fuzzed addon calls of the soak's "fuzz" area: fast-check arbitraries for every entry point of the
// addon (regions of 0 to 8 GiB and past, offsets, advice names, moved and detached buffers, native
// threads, every method after unmap) and a Fuzzer that runs them and sorts what they throw into
// documented errors and the rest. It runs inside a child process (fuzz-child.ts): a crash is that
// child's signal, seen and counted by the parent.
import fc from 'fast-check';
import { mapRegion, type Region } from '../core/region.js';
import { BlockSet, mallocTrim } from '../core/heap.js';
import { NativeThread } from '../core/workload.js';
import { RsslabSystemError } from '../core/errors.js';
import { readFileSync } from 'node:fs';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const PAGE = 4096;

/** a region above this is "big": no whole-region touch, checksum or residency (memory and time stay bounded) */
const BIG = 64 * MiB;
/** above this RSS the fuzzer unmaps every region (pages touched in big regions add up) */
const RSS_CEILING = 384 * MiB;

export interface FuzzCounts {
  calls: number;
  ok: number;
  /** by "Class:code" */
  errors: Record<string, number>;
  /** errors that are not one of the documented kinds, with their message (first 20) */
  undocumented: string[];
  undocumentedCount: number;
  /** errors the JS engine throws on its own objects (transfer of a detached buffer): expected, counted apart */
  engineErrors: number;
  useAfterUnmap: number;
  detachedWrites: number;
  transfers: number;
  bigMaps: number;
  pastMaps: number;
  threads: number;
}

export function emptyCounts(): FuzzCounts {
  return { calls: 0, ok: 0, errors: {}, undocumented: [], undocumentedCount: 0, engineErrors: 0, useAfterUnmap: 0, detachedWrites: 0, transfers: 0, bigMaps: 0, pastMaps: 0, threads: 0 };
}

// Numbers that are valid but small, near the edges, or wrong in every way.
const weird = fc.constantFrom(-1, -4096, 0.5, 4096.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 60, -0, Number.MAX_SAFE_INTEGER + 2);
const junk = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt({ min: -5n, max: 1n << 70n }),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
  fc.constant(Symbol('x')),
);
const smallInt = (max: number) => fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max }) }, { weight: 2, arbitrary: weird }, { weight: 1, arbitrary: junk });
const pageAligned = (maxPages: number) => fc.integer({ min: 0, max: maxPages }).map((n) => n * PAGE);
// offsets up to 9 GiB: inside and past the big regions, and past the 4 GiB an ArrayBuffer may span
const offset = fc.oneof(
  { weight: 4, arbitrary: pageAligned(2048) },
  { weight: 2, arbitrary: pageAligned((9 * GiB) / PAGE) },
  { weight: 3, arbitrary: smallInt(8 * MiB) },
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const rangeOpts = fc.oneof(
  { weight: 8, arbitrary: fc.record({ offset: maybe(offset), length: maybe(fc.oneof(offset, pageAligned(4096))), value: maybe(smallInt(300)) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: junk },
);
const ADVICE = ['dontneed', 'free', 'hugepage', 'nohugepage', 'collapse', 'cold', 'pageout', 'willneed'] as const;
const advice = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ADVICE) },
  { weight: 2, arbitrary: fc.constantFrom('DONTNEED', 'remove', 'hwpoison', '', 'free ', 'mergeable') },
  { weight: 1, arbitrary: junk },
);
// sizes across 0..8 GiB and past it: small ones that get touched, the 4 GiB edge of an ArrayBuffer,
// big untouched ones (MAP_PRIVATE|MAP_ANONYMOUS costs nothing until written), and sizes no mmap can give
const mapLength = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 8 * MiB }) },
  { weight: 1, arbitrary: fc.integer({ min: 8 * MiB, max: BIG * 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(4 * GiB - PAGE, 4 * GiB, 4 * GiB + 1, 4 * GiB + PAGE, 5 * GiB, 8 * GiB, 8 * GiB + PAGE) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 * GiB }) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 40, 2 ** 47, 2 ** 52, Number.MAX_SAFE_INTEGER) },
  { weight: 2, arbitrary: weird },
  { weight: 1, arbitrary: junk },
);
const i = fc.nat();

export const fuzzOp = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('map' as const), length: mapLength, opts: fc.oneof(fc.record({ alignHuge: maybe(fc.oneof(fc.boolean(), junk)), name: maybe(fc.oneof(fc.string({ maxLength: 90 }), junk)) }, { requiredKeys: [] }), junk) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('touch' as const, 'residency' as const, 'checksum' as const), i, opts: rangeOpts }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advise' as const), i, advice, opts: rangeOpts }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setName' as const), i, name: fc.oneof(fc.string({ maxLength: 90 }), junk) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unmap' as const), i }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('afterUnmap' as const), i }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('view' as const), i, at: fc.nat({ max: 8 * MiB }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transfer' as const), i, how: fc.constantFrom('move', 'shorter', 'fixed', 'clone', 'twice'), at: fc.nat({ max: 8 * MiB }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), i, gc: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('blocks' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('allocate' as const), i, onThread: fc.boolean(), opts: fc.oneof({ weight: 8, arbitrary: fc.record({ count: smallInt(2000), minSize: smallInt(65536), maxSize: smallInt(65536), seed: maybe(smallInt(1000)) }, { requiredKeys: [] }) }, { weight: 1, arbitrary: junk }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('freeEvery' as const), i, onThread: fc.boolean(), k: smallInt(10), opts: fc.oneof(fc.record({ start: maybe(smallInt(5000)) }, { requiredKeys: [] }), junk) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('freeRange' as const), i, onThread: fc.boolean(), from: smallInt(5000), to: smallInt(5000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('freeAll' as const), i, onThread: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('thread' as const), action: fc.constantFrom('create', 'stop', 'drop', 'afterStop', 'junkSet') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trim' as const), pad: smallInt(MiB) }) },
);
export type FuzzOp = typeof fuzzOp extends fc.Arbitrary<infer T> ? T : never;

const DOCUMENTED = new Set(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE', 'ERR_RSSLAB_UNMAPPED', 'ERR_RSSLAB_UNSUPPORTED']);

function vmRssBytes(): number {
  // statm's second field: resident pages
  return Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1]) * PAGE;
}

type Transferable = ArrayBuffer & { transfer?: (n?: number) => ArrayBuffer; transferToFixedLength?: (n?: number) => ArrayBuffer };

export class Fuzzer {
  readonly counts = emptyCounts();
  #regions: Region[] = [];
  #views: Uint8Array[] = [];
  #sets: BlockSet[] = [];
  #threads: NativeThread[] = [];

  /** one addon-facing call: counted, and whatever it throws sorted */
  #call(f: () => void, engine = false): void {
    this.counts.calls += 1;
    try {
      f();
      this.counts.ok += 1;
    } catch (e) {
      // the engine's own refusals (a view of or clone from a detached buffer) carry no string code
      if (engine && !(e instanceof RsslabSystemError) && typeof (e as { code?: unknown })?.code !== 'string') this.counts.engineErrors += 1;
      else this.#classify(e);
    }
  }

  #classify(e: unknown): void {
    const err = e as { code?: unknown; message?: unknown; syscall?: unknown; errno?: unknown };
    const cls = e instanceof RsslabSystemError ? 'RsslabSystemError' : e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : e instanceof Error ? 'Error' : typeof e;
    const code = err?.code;
    const key = `${cls}:${String(code)}`;
    this.counts.errors[key] = (this.counts.errors[key] ?? 0) + 1;
    const documented =
      ((cls === 'TypeError' || cls === 'RangeError') && typeof code === 'string' && DOCUMENTED.has(code)) ||
      (cls === 'Error' && code === 'ERR_RSSLAB_UNMAPPED') ||
      (cls === 'RsslabSystemError' && typeof code === 'string' && (/^E[A-Z0-9]+$/.test(code) || code === 'ERR_RSSLAB_UNSUPPORTED') && typeof err.syscall === 'string' && typeof err.errno === 'number' && err.errno >= 0);
    if (!documented) {
      this.counts.undocumentedCount += 1;
      if (this.counts.undocumented.length < 20) this.counts.undocumented.push(`${key}: ${String(err?.message ?? e)}`);
    }
  }

  #pick<T>(list: T[], n: number): T | undefined {
    return list.length === 0 ? undefined : list[n % list.length];
  }

  /** options for a range call; on a big region a missing or huge length is cut to `cap` so memory stays bounded */
  #bounded(r: Region, opts: unknown, cap: number): unknown {
    if (r.length <= BIG || !r.mapped) return opts;
    if (opts === undefined) return { length: cap };
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) return opts;
    const o = { ...(opts as { offset?: unknown; length?: unknown }) };
    const start = typeof o.offset === 'number' && Number.isSafeInteger(o.offset) && o.offset >= 0 ? o.offset : 0;
    if (o.length === undefined || (typeof o.length === 'number' && o.length > cap)) o.length = Math.max(0, Math.min(cap, r.length - Math.min(start, r.length)));
    return o;
  }

  run(o: FuzzOp): void {
    switch (o.kind) {
      case 'map': {
        const n = typeof o.length === 'number' ? o.length : 0;
        if (n > BIG && n <= 8 * GiB + PAGE) this.counts.bigMaps += 1;
        if (n > 8 * GiB + PAGE) this.counts.pastMaps += 1;
        this.#call(() => {
          const r = mapRegion(o.length as number, o.opts as never);
          this.#regions.push(r);
          if (this.#regions.length > 8) this.#regions.shift(); // dropped: unmapped when collected
        });
        return;
      }
      case 'touch':
      case 'residency':
      case 'checksum': {
        const r = this.#pick(this.#regions, o.i);
        if (!r) return;
        if (!r.mapped) this.counts.useAfterUnmap += 1;
        const cap = o.kind === 'touch' ? 2 * MiB : 16 * MiB;
        this.#call(() => void r[o.kind](this.#bounded(r, o.opts, cap) as never));
        return;
      }
      case 'advise': {
        const r = this.#pick(this.#regions, o.i);
        if (!r) return;
        if (!r.mapped) this.counts.useAfterUnmap += 1;
        this.#call(() => r.advise(o.advice as never, o.opts as never));
        return;
      }
      case 'setName': {
        const r = this.#pick(this.#regions, o.i);
        if (r) this.#call(() => r.setName(o.name as never));
        return;
      }
      case 'unmap': {
        const r = this.#pick(this.#regions, o.i);
        if (r) this.#call(() => r.unmap());
        return;
      }
      case 'afterUnmap': {
        // every method of an unmapped region: each must throw ERR_RSSLAB_UNMAPPED (buffer: detached or RangeError)
        const r = this.#regions.find((x, n) => !x.mapped && n >= o.i % Math.max(1, this.#regions.length)) ?? this.#regions.find((x) => !x.mapped);
        if (!r) return;
        this.counts.useAfterUnmap += 1;
        this.#call(() => r.touch({ length: PAGE }));
        this.#call(() => r.advise('dontneed'));
        this.#call(() => void r.residency());
        this.#call(() => void r.checksum({ length: PAGE }));
        this.#call(() => void r.setName('after'));
        this.#call(() => r.unmap());
        this.#call(() => {
          const b = r.buffer;
          if (b.byteLength !== 0) throw new Error(`buffer of an unmapped region has ${b.byteLength} bytes`);
        });
        return;
      }
      case 'view': {
        // a typed array taken while mapped, written after a possible unmap or move: detached, or over
        // memory a moved buffer keeps mapped; never a dangling pointer
        const r = this.#pick(this.#regions, o.i);
        if (r && r.mapped && r.length <= 4 * GiB) this.#call(() => void this.#views.push(new Uint8Array(r.buffer)), true);
        const v = this.#pick(this.#views, o.at);
        if (v) {
          if (v.length === 0) this.counts.detachedWrites += 1;
          const at = o.at % Math.max(1, Math.min(v.length, 8 * MiB));
          this.#call(() => {
            v[at] = 7;
          });
        }
        if (this.#views.length > 16) this.#views.shift();
        return;
      }
      case 'transfer': {
        const r = this.#pick(this.#regions, o.i);
        if (!r || !r.mapped || r.length > 4 * GiB) return;
        const b = r.buffer as Transferable;
        this.counts.transfers += 1;
        this.#call(() => {
          let moved: ArrayBuffer;
          if (o.how === 'clone') {
            if (b.byteLength > BIG) return; // Node copies external buffers: keep the copy small
            moved = structuredClone(b, { transfer: [b] });
          } else if (typeof b.transfer !== 'function') {
            return; // Node 20 without --harmony-rab-gsab-transfer
          } else if (o.how === 'move') {
            moved = b.transfer();
          } else if (o.how === 'shorter') {
            moved = b.transfer(Math.min(b.byteLength, o.at % (64 * KiB))); // a copy of the start
          } else if (o.how === 'fixed') {
            moved = (b.transferToFixedLength ?? b.transfer).call(b);
          } else {
            moved = b.transfer();
            moved = (moved as Transferable).transfer?.() ?? moved;
          }
          this.#views.push(new Uint8Array(moved));
          if (this.#views.length > 16) this.#views.shift();
        }, true);
        return;
      }
      case 'drop':
        if (this.#regions.length) this.#regions.splice(o.i % this.#regions.length, 1);
        if (o.gc) (globalThis as { gc?: () => void }).gc?.();
        return;
      case 'blocks':
        this.#call(() => {
          this.#sets.push(new BlockSet());
          if (this.#sets.length > 4) this.#sets.shift()?.freeAll();
        });
        return;
      case 'allocate':
      case 'freeEvery':
      case 'freeRange':
      case 'freeAll': {
        const s = this.#pick(this.#sets, o.i);
        if (!s) return;
        const t = o.onThread ? this.#pick(this.#threads, o.i) : undefined;
        if (o.kind === 'allocate' && s.liveBytes > 128 * MiB) s.freeAll(); // keep the child's memory bounded
        this.#call(() => {
          if (o.kind === 'allocate') (t ? t.allocate(s, o.opts as never) : s.allocate(o.opts as never));
          else if (o.kind === 'freeEvery') void (t ? t.freeEvery(s, o.k as never, o.opts as never) : s.freeEvery(o.k as never, o.opts as never));
          else if (o.kind === 'freeRange') void (t ? t.freeRange(s, o.from as never, o.to as never) : s.freeRange(o.from as never, o.to as never));
          else void (t ? t.freeAll(s) : s.freeAll());
        });
        return;
      }
      case 'thread': {
        const t = this.#pick(this.#threads, this.counts.calls);
        if (o.action === 'create') {
          this.counts.threads += 1;
          this.#call(() => {
            this.#threads.push(new NativeThread());
            if (this.#threads.length > 4) this.#threads.shift()?.stop();
          });
        } else if (o.action === 'stop' && t) {
          this.#call(() => t.stop());
        } else if (o.action === 'drop' && t) {
          this.#threads.splice(this.#threads.indexOf(t), 1); // joined by its handle's finalizer
        } else if (o.action === 'afterStop' && t) {
          t.stop();
          const s = this.#sets[0] ?? new BlockSet();
          this.#call(() => t.allocate(s, { count: 1, minSize: 16, maxSize: 16 }));
          this.#call(() => void t.freeAll(s));
        } else if (o.action === 'junkSet' && t) {
          this.#call(() => t.allocate({} as never, { count: 1, minSize: 16, maxSize: 16 }));
        }
        return;
      }
      case 'trim':
        this.#call(() => void mallocTrim(o.pad as never));
        return;
    }
  }

  /** called every few hundred calls: pages touched in big regions add up, so unmap everything above the ceiling */
  bound(): void {
    if (vmRssBytes() <= RSS_CEILING) return;
    for (const r of this.#regions) if (r.mapped) r.unmap();
    this.#regions = [];
    this.#views = [];
    (globalThis as { gc?: () => void }).gc?.();
  }

  finish(): void {
    for (const s of this.#sets) s.freeAll();
    for (const t of this.#threads) t.stop();
  }
}
