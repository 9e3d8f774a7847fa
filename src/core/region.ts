// Region: an anonymous private mapping the experiments touch, madvise and watch (seeds 003 and 004).
// Arguments are validated here, before any syscall; native/region.cc checks them again so that nothing
// from JS can crash the process.
import { ADVICE_NAMES, type Advice, type NativeRegion } from '../native.js';
import { binding } from './binding.js';
import { ERR_RSSLAB_UNMAPPED, invalidType, invalidValue, outOfRange, type CodedError, type RsslabSystemError } from './errors.js';
import { features } from './features.js';
import { checkBoolean, checkInteger, checkOptions } from './validate.js';

export { ADVICE_NAMES, type Advice };

export interface MapOptions {
  /** start the mapping on a huge page (PMD, 2 MiB) boundary, so THP can back it with huge pages */
  alignHuge?: boolean;
  /** best effort PR_SET_VMA_ANON_NAME; `region.name` is null when the kernel refuses (no CONFIG_ANON_VMA_NAME) */
  name?: string;
}

/** A byte range of the region. `offset` defaults to 0, `length` to the rest of the region. */
export interface RangeOptions {
  offset?: number;
  length?: number;
}

export interface TouchOptions extends RangeOptions {
  /** the byte written at the start of every page, 0..255 (default 1) */
  value?: number;
}

/** Seed 004's loop in one call: `length` bytes every `stride` bytes from `offset`, `count` times. */
export interface StridedOptions {
  /** first call's offset, a multiple of the page size (default 0) */
  offset?: number;
  /** bytes per call */
  length: number;
  /** distance between the starts of two calls, a multiple of the page size */
  stride: number;
  /** calls to make (default: as many as fit in the region from `offset`) */
  count?: number;
}

/** A batched advise that failed part-way: the SystemError of the failed call, plus how far it got. */
export interface BatchAdviseError extends RsslabSystemError {
  /** calls that succeeded before the failure, in order */
  succeeded: number;
  failedOffset: number;
  failedLength: number;
}

export interface Residency {
  residentPages: number;
  residentBytes: number;
  /** one entry per page of the range (from its page-aligned start): 1 resident, 0 not */
  pages: Uint8Array;
}

// The kernel's rule for anon VMA names (mm/madvise.c: is_valid_name_char, ANON_VMA_NAME_MAX_LEN 80 with NUL).
const NAME_RE = /^[\x20-\x7e]{1,79}$/;
const NAME_FORBIDDEN = /[[\]\\$`]/;

/**
 * Map `lengthBytes` of anonymous private memory (rounded up to whole pages; `region.length` is the mapped
 * length). Nothing is resident until touched.
 * @throws TypeError / RangeError for a bad length or options, RsslabSystemError (`ENOMEM`, syscall 'mmap') when mmap fails.
 */
export function mapRegion(lengthBytes: number, options: MapOptions = {}): Region {
  checkInteger('lengthBytes', lengthBytes, 1);
  checkOptions('options', options);
  const alignHuge = options.alignHuge ?? false;
  checkBoolean('options.alignHuge', alignHuge);
  if (options.name !== undefined) checkName(options.name);
  const region = new Region(new (binding().Region)(lengthBytes, alignHuge));
  if (options.name !== undefined) region.setName(options.name);
  return region;
}

export class Region {
  readonly #native: NativeRegion;
  #name: string | null = null;
  /** start address of the mapping, as in the first column of /proc/<pid>/maps */
  readonly address: bigint;
  /** mapped length, bytes (a whole number of pages) */
  readonly length: number;

  /** @internal use mapRegion() */
  constructor(nativeRegion: NativeRegion) {
    this.#native = nativeRegion;
    this.address = nativeRegion.address;
    this.length = nativeRegion.length;
  }

  /** the address in lowercase hex without 0x, the way /proc/<pid>/maps and smaps print it */
  get addressHex(): string {
    return this.address.toString(16);
  }

  /** false after unmap(); every method then throws ERR_RSSLAB_UNMAPPED */
  get mapped(): boolean {
    return this.#native.mapped;
  }

  /**
   * The memory itself, for typed-array views; detached (byteLength 0) after unmap().
   * A buffer moved away with `buffer.transfer()` keeps the mapping alive: unmap() then only lets go of
   * the region's claim, and the kernel mapping goes when the moved buffer is garbage collected (so no
   * JS view ever reaches unmapped memory).
   * @throws RangeError (ERR_OUT_OF_RANGE) for a region larger than Node lets one ArrayBuffer be
   *   (`buffer.constants.MAX_LENGTH`, 4 GiB on Node 20): use touch(), checksum(), residency(), advise().
   */
  get buffer(): ArrayBuffer {
    return this.#native.buffer;
  }

  /** the anon VMA name the kernel accepted, or null */
  get name(): string | null {
    return this.#name;
  }

  /**
   * Write `value` to one byte of every page in the range, so the kernel faults each page in (RSS grows
   * by the range's pages). Default: the whole region, value 1.
   */
  touch(options: TouchOptions = {}): void {
    const { offset, length } = this.#range('touch', options);
    const value = options.value ?? 1;
    checkInteger('options.value', value, 0, 255);
    this.#native.touch(offset, length, value);
  }

  /**
   * madvise(2) the range: `region.advise('dontneed')` for the whole region,
   * `region.advise('free', { offset: 4096, length: 8192 })` for part of it.
   * `offset` must be a multiple of the page size (the kernel's rule).
   * @throws TypeError (ERR_INVALID_ARG_VALUE) for an unknown advice, RangeError for a bad range,
   *   RsslabSystemError ERR_RSSLAB_UNSUPPORTED when this kernel lacks the advice (see features()),
   *   RsslabSystemError with the kernel's errno when madvise fails (e.g. EAGAIN/ENOMEM from 'collapse').
   */
  advise(advice: Advice, options: RangeOptions = NO_OPTIONS): void {
    // The hot path of a page-by-page loop (seed 004): one property lookup for the advice, integer
    // checks that allocate nothing; page alignment and mapped-ness are checked by the addon, which
    // throws the same RangeError / ERR_RSSLAB_UNMAPPED before any syscall.
    const code = adviceCode(advice);
    if (typeof options !== 'object' || options === null || Array.isArray(options)) checkOptions('options', options);
    const offset = options.offset ?? 0;
    // no arithmetic on an unchecked offset: a Symbol or BigInt would throw the engine's own TypeError
    const length = options.length ?? (isIndex(offset) ? this.length - offset : 0);
    if (!isIndex(offset) || !isIndex(length) || offset + length > this.length) this.#range('advise', options);
    this.#native.advise(offset, length, code);
  }

  /**
   * Many madvise calls in one: `length` bytes every `stride` bytes (seed 004's free loop is
   * `adviseStrided('dontneed', { length: 2 MiB - 4 KiB, stride: 2 MiB })`). Every call is checked
   * before the first. Returns the number of calls made.
   * @throws as advise(); a call that fails part-way throws its SystemError with `succeeded`,
   *   `failedOffset` and `failedLength` (BatchAdviseError): the calls before it took effect.
   */
  adviseStrided(advice: Advice, options: StridedOptions): number {
    const code = adviceCode(advice);
    checkOptions('options', options);
    const offset = options.offset ?? 0;
    checkInteger('options.offset', offset, 0, this.length);
    checkInteger('options.length', options.length, 0, this.length - offset);
    checkInteger('options.stride', options.stride, 1);
    const fit = Math.floor((this.length - offset - options.length) / options.stride) + 1;
    const count = options.count ?? fit;
    checkInteger('options.count', count, 0, fit);
    return this.#native.adviseStrided(offset, options.length, options.stride, count, code);
  }

  /**
   * madvise each range of `ranges` ([offset, length, offset, length, …]) in one call. Every range is
   * checked before the first. Returns the number of ranges advised; failure part-way as adviseStrided().
   */
  adviseRanges(advice: Advice, ranges: Float64Array): number {
    const code = adviceCode(advice);
    if (!(ranges instanceof Float64Array)) throw invalidType(`ranges must be a Float64Array of offset, length pairs; got ${describe(ranges)}`);
    if (ranges.length % 2 !== 0) throw outOfRange(`ranges holds ${ranges.length} numbers; it needs offset, length pairs`);
    return this.#native.adviseRanges(ranges, code);
  }

  /** Which pages of the range are resident now (mincore(2)). */
  residency(options: RangeOptions = {}): Residency {
    const { offset, length } = this.#range('residency', options);
    const r = this.#native.residency(offset, length);
    return { residentPages: r.residentPages, residentBytes: r.residentPages * features().pageSize, pages: r.pages };
  }

  /** Sum of the range's bytes: a page the kernel reclaimed after MADV_FREE/DONTNEED reads back as zeros. */
  checksum(options: RangeOptions = {}): number {
    const { offset, length } = this.#range('checksum', options);
    return this.#native.checksum(offset, length);
  }

  /** Name the mapping ([anon:<name>] in /proc/<pid>/maps). Returns false when the kernel refuses. */
  setName(name: string): boolean {
    this.#checkMapped('setName');
    checkName(name);
    const ok = this.#native.setName(name);
    if (ok) this.#name = name;
    return ok;
  }

  /**
   * munmap now. The buffer is detached first; later calls to any method throw ERR_RSSLAB_UNMAPPED.
   * If the buffer was moved away before (`buffer.transfer()`), the munmap waits for that buffer to be
   * collected; the region counts as unmapped either way.
   */
  unmap(): void {
    this.#checkMapped('unmap');
    this.#native.unmap();
  }

  #checkMapped(method: string): void {
    if (!this.#native.mapped) {
      const err = new Error(`Region.${method}(): the region was unmapped; create a new one with mapRegion()`) as CodedError;
      err.code = ERR_RSSLAB_UNMAPPED;
      throw err;
    }
  }

  #range(method: string, options: RangeOptions): { offset: number; length: number } {
    this.#checkMapped(method);
    checkOptions('options', options);
    const offset = options.offset ?? 0;
    checkInteger('options.offset', offset, 0, this.length);
    const length = options.length ?? this.length - offset;
    checkInteger('options.length', length, 0);
    if (offset + length > this.length) {
      throw outOfRange(`${method}: offset ${offset} + length ${length} is past the end of the region (${this.length} bytes)`);
    }
    return { offset, length };
  }
}

const NO_OPTIONS: RangeOptions = Object.freeze({});

function isIndex(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

// A Map, not a null-prototype object: V8 keeps Object.create(null) objects in dictionary mode, and a
// keyed load from one left the inline cache for the runtime's property lookup on every advise()
// (perf of a page-by-page madvise loop showed Builtins_KeyedLoadIC and the runtime in every call). The last name is remembered too:
// a loop passes the same (interned) string every time, so the lookup is one pointer compare.
let codes: Map<string, number> | undefined;
let lastAdvice: unknown;
let lastCode = -1;

/** The advice's index in the addon's table, resolved once per name (no string compares per call). */
function adviceCode(advice: unknown): number {
  if (advice === lastAdvice) return lastCode;
  codes ??= new Map(binding().adviceNames.map((n, i) => [n, i]));
  const code = typeof advice === 'string' ? codes.get(advice) : undefined;
  if (code !== undefined) {
    lastAdvice = advice;
    lastCode = code;
    return code;
  }
  if (typeof advice !== 'string') throw invalidType(`advice must be a string, one of ${ADVICE_NAMES.join(', ')}; got ${describe(advice)}`);
  throw invalidValue(`unknown advice '${advice}'; use one of ${ADVICE_NAMES.map((a) => `'${a}'`).join(', ')}`);
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw invalidType(`name must be a string; got ${describe(name)}`);
  if (!NAME_RE.test(name) || NAME_FORBIDDEN.test(name)) {
    throw invalidValue(`name ${JSON.stringify(name)} is not a valid mapping name: 1 to 79 printable ASCII characters, none of [ ] \\ $ \``);
  }
}

function describe(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : typeof v === 'bigint' ? `${v}n` : `${typeof v} ${String(v)}`;
}
