// The counterpart protocol (counterparts/rsslab.h, version 1), parent side: one line on the
// program's fd 3 becomes the same ChildMessage the replay's child sends over IPC, so everything
// after the spawn — sampling, marks, tags, reports, acks — is shared. A line that does not parse is
// returned as an error to log, never thrown: the program is ours, but its output is still input.
import type { ChildMessage } from './protocol.js';

/** Longest line accepted; a longer one is cut and reported (a runaway program must not grow our memory). */
export const MAX_LINE_BYTES = 16 * 1024;

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const SEQ = /^[1-9][0-9]{0,9}$/;

export type ParsedLine = { ok: true; message: ChildMessage } | { ok: false; error: string };

function bad(line: string, why: string): ParsedLine {
  return { ok: false, error: `unreadable line from the counterpart (${why}): ${line.slice(0, 120)}` };
}

export function parseCounterpartLine(line: string): ParsedLine {
  const [verb = '', ...rest] = line.split(' ');
  switch (verb) {
    case 'mark': {
      const [seq, phase, ...label] = rest;
      if (!seq || !SEQ.test(seq)) return bad(line, 'mark needs a sequence number');
      if (!phase || !NAME.test(phase)) return bad(line, 'mark needs a phase id');
      return { ok: true, message: { type: 'mark', seq: Number(seq), phase, label: label.join(' ') || phase } };
    }
    case 'tag': {
      const [seq, name, address, bytes] = rest;
      if (!seq || !SEQ.test(seq)) return bad(line, 'tag needs a sequence number');
      if (!name || !NAME.test(name)) return bad(line, 'tag needs a region name');
      if (!address || !/^0x[0-9a-fA-F]{1,16}$/.test(address)) return bad(line, 'tag needs a 0x address');
      if (!bytes || !/^[0-9]{1,16}$/.test(bytes) || !Number.isSafeInteger(Number(bytes))) return bad(line, 'tag needs a size in bytes');
      return { ok: true, message: { type: 'tag', seq: Number(seq), name, address, sizeBytes: Number(bytes) } };
    }
    case 'untag': {
      const [seq, name] = rest;
      if (!seq || !SEQ.test(seq)) return bad(line, 'untag needs a sequence number');
      if (!name || !NAME.test(name)) return bad(line, 'untag needs a region name');
      return { ok: true, message: { type: 'untag', seq: Number(seq), name } };
    }
    case 'report': {
      const values: Record<string, number | null> = {};
      for (const pair of rest) {
        const eq = pair.indexOf('=');
        const key = pair.slice(0, eq);
        const raw = pair.slice(eq + 1);
        if (eq < 1 || !NAME.test(key)) return bad(line, `report wants key=value, got "${pair}"`);
        if (key === '__proto__') return bad(line, 'report key __proto__');
        if (raw === 'null') values[key] = null;
        else if (/^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(raw) && Number.isFinite(Number(raw))) values[key] = Number(raw);
        else return bad(line, `report value of ${key} is not a number`);
      }
      return { ok: true, message: { type: 'report', values } };
    }
    case 'log':
      return { ok: true, message: { type: 'log', message: rest.join(' ') } };
    case 'done':
      return { ok: true, message: { type: 'done' } };
    default:
      return bad(line, `unknown message "${verb.slice(0, 20)}"`);
  }
}

/** Splits a byte stream into lines, holding at most MAX_LINE_BYTES of an unfinished one. */
export class LineSplitter {
  private pending = '';
  private overflowed = false;

  constructor(private readonly onLine: (line: string) => void, private readonly onOverflow: () => void) {}

  push(chunk: string): void {
    let text = this.pending + chunk;
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl < 0) break;
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (this.overflowed) this.overflowed = false; // the rest of an overlong line: dropped
      else this.onLine(line);
    }
    if (text.length > MAX_LINE_BYTES) {
      text = '';
      if (!this.overflowed) this.onOverflow();
      this.overflowed = true;
    }
    this.pending = text;
  }
}
