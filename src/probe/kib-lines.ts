// "Key:   123 kB" lines read straight from the bytes the kernel wrote into a reused Buffer: no
// string per file, per line or per value. A full sample of a 1 GiB child costs the kernel
// milliseconds (the page-table walk behind smaps_rollup); what we add on top should be microseconds,
// so these parsers only look at the keys a sample needs and convert digits in place.

const COLON = 58;
const NEWLINE = 10;
const SPACE = 32;
const TAB = 9;

/** A fixed set of keys, matched by length and bytes. */
export class KeyTable {
  readonly keys: readonly string[];
  private readonly bytes: Buffer[];
  private readonly byLength: number[][] = [];

  constructor(keys: readonly string[]) {
    this.keys = keys;
    this.bytes = keys.map((k) => Buffer.from(k, 'latin1'));
    this.bytes.forEach((b, i) => (this.byLength[b.length] ??= []).push(i));
  }

  /** Index of the key buf[start, end), or -1. */
  find(buf: Uint8Array, start: number, end: number): number {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return -1;
    for (const i of candidates) {
      const key = this.bytes[i] as Buffer;
      let k = 0;
      while (k < key.length && key[k] === buf[start + k]) k++;
      if (k === key.length) return i;
    }
    return -1;
  }
}

/** The decimal number after a colon (spaces and tabs skipped); NaN when there is none. */
function decimalAt(buf: Uint8Array, pos: number, end: number): number {
  while (pos < end && (buf[pos] === SPACE || buf[pos] === TAB)) pos++;
  let value = 0;
  let digits = 0;
  for (; pos < end; pos++) {
    const d = (buf[pos] as number) - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
    digits++;
  }
  return digits === 0 ? Number.NaN : value;
}

/**
 * For each line of buf[start, end) whose key is in `table`, out[index] = its value × `scale`
 * (1024 for the kernel's "kB"). Keys not found keep the value out held before.
 */
export function scanKeyLines(buf: Uint8Array, start: number, end: number, table: KeyTable, out: Float64Array, scale = 1024): void {
  let pos = start;
  while (pos < end) {
    let colon = pos;
    while (colon < end && buf[colon] !== COLON && buf[colon] !== NEWLINE) colon++;
    let nl = colon;
    while (nl < end && buf[nl] !== NEWLINE) nl++;
    if (colon < nl) {
      const i = table.find(buf, pos, colon);
      if (i !== -1) {
        const v = decimalAt(buf, colon + 1, nl);
        if (!Number.isNaN(v)) out[i] = v * scale;
      }
    }
    pos = nl + 1;
  }
}

/** Header lines of smaps start with a lowercase hex address; field lines with an uppercase name. */
function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : c - 87;
}

/**
 * Calls visit(start, end, bodyStart, bodyEnd) per mapping of an smaps text in buf[0, length).
 * Addresses are numbers: exact below 2^53, which covers user space (only [vsyscall] is above).
 */
export function scanSmapsBytes(buf: Uint8Array, length: number, visit: (start: number, end: number, body: number, bodyEnd: number) => void): void {
  let pos = 0;
  let haveEntry = false;
  let start = 0;
  let end = 0;
  let body = 0;
  while (pos < length) {
    let nl = pos;
    while (nl < length && buf[nl] !== NEWLINE) nl++;
    if (isHexDigit(buf[pos] as number)) {
      if (haveEntry) visit(start, end, body, pos);
      let p = pos;
      start = 0;
      while (p < nl && buf[p] !== 45 /* - */) start = start * 16 + hexValue(buf[p++] as number);
      p++;
      end = 0;
      while (p < nl && buf[p] !== SPACE) end = end * 16 + hexValue(buf[p++] as number);
      body = nl + 1;
      haveEntry = true;
    }
    pos = nl + 1;
  }
  if (haveEntry) visit(start, end, body, length);
}
