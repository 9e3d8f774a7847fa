// The byte-level parsers of a sample (no strings per line) against the text parsers they replace in
// the hot path, on the fixtures captured on this machine and on this process's own live files.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRollupBytes, parseSmapsRollup, summariseSmaps, summariseSmapsBytes } from '../../src/probe/smaps.js';
import { parseStatus } from '../../src/probe/status.js';
import { KeyTable, scanKeyLines } from '../../src/probe/kib-lines.js';
import { ProcFile } from '../../src/probe/procfile.js';
import { SampleProbe } from '../../src/probe/sample.js';
import { FIXTURES } from './regions-child.js';

const machine = path.join(FIXTURES, 'machine', 'proc', '4861');
const read = (file: string) => fs.readFileSync(path.join(machine, file));

function rollupOf(text: string) {
  const r = parseSmapsRollup(text);
  return { rssBytes: r.rssBytes, pssBytes: r.pssBytes, anonBytes: r.anonBytes, lazyFreeBytes: r.lazyFreeBytes, anonHugeBytes: r.anonHugeBytes, swapBytes: r.swapBytes };
}

describe('byte parsers of a sample', () => {
  it('parseRollupBytes - the fixture smaps_rollup gives the same figures as parseSmapsRollup', () => {
    const bytes = read('smaps_rollup');
    const figures = parseRollupBytes(bytes, bytes.length);
    expect(figures).toEqual(rollupOf(bytes.toString('latin1')));
    expect(figures.rssBytes).toBeGreaterThan(0);
  });

  it('parseRollupBytes - a text without Rss is an error naming the field, not zeros', () => {
    const bytes = Buffer.from('Pss: 4 kB\nSwap: 0 kB\n');
    expect(() => parseRollupBytes(bytes, bytes.length)).toThrow(/"Rss"/);
  });

  it('summariseSmapsBytes - the fixture smaps gives the same totals and regions as summariseSmaps', () => {
    const bytes = read('smaps');
    const text = bytes.toString('latin1');
    const first = /^([0-9a-f]+)-([0-9a-f]+)/m.exec(text)!;
    const ranges = [
      { address: BigInt('0x' + first[1]), sizeBytes: Number(BigInt('0x' + first[2]) - BigInt('0x' + first[1])) },
      { address: 0x1000n, sizeBytes: 4096 },
    ];
    const got = summariseSmapsBytes(bytes, bytes.length, ranges);
    expect(got).toEqual(summariseSmaps(text, ranges));
    expect(got.ranges[0]!.mappings).toBe(1);
    expect(got.totals.rssBytes).toBeGreaterThan(0);
  });

  it('summariseSmapsBytes and parseRollupBytes - this process, live: the same as the text parsers on the same bytes', () => {
    const keep = Buffer.alloc(32 * 1024 * 1024, 1);
    for (const [file, compare] of [
      ['smaps', (b: Buffer) => expect(summariseSmapsBytes(b, b.length, [])).toEqual(summariseSmaps(b.toString('latin1'), []))],
      ['smaps_rollup', (b: Buffer) => expect(parseRollupBytes(b, b.length)).toEqual(rollupOf(b.toString('latin1')))],
    ] as const) {
      compare(fs.readFileSync(`/proc/self/${file}`));
    }
    expect(keep[0]).toBe(1);
  });

  it('scanKeyLines - status: VmRSS, RssAnon, VmSwap as parseStatus reads them (tabs after the colon)', () => {
    const bytes = read('status');
    const out = new Float64Array(3).fill(-1);
    scanKeyLines(bytes, 0, bytes.length, new KeyTable(['VmRSS', 'RssAnon', 'VmSwap']), out);
    const s = parseStatus(bytes.toString('latin1'));
    expect([...out]).toEqual([s.vmRssBytes, s.rssAnonBytes, s.vmSwapBytes]);
  });

  it('ProcFile(singleRecord) - one read returns the whole file, the same bytes as reading to EOF', () => {
    const single = new ProcFile('/proc/self/status', 8192, { singleRecord: true });
    const full = new ProcFile('/proc/self/status', 8192);
    try {
      const a = single.read();
      const b = full.read();
      // the memory lines (VmHWM, VmRSS…) move between two reads of a running process: compare the stable
      // head byte for byte, and every line's field name
      expect(a.slice(0, a.indexOf('VmPeak'))).toBe(b.slice(0, b.indexOf('VmPeak')));
      const keys = (t: string): string[] => t.split('\n').map((line) => line.split(':')[0]!);
      expect(keys(a)).toEqual(keys(b));
      expect(a.endsWith('\n')).toBe(true);
      expect(a.split('\n').length).toBe(b.split('\n').length);
    } finally {
      single.close();
      full.close();
    }
  });

  it("SampleProbe - full and fast samples of this process agree with the text parsers' figures", () => {
    const probe = new SampleProbe(process.pid);
    try {
      const full = probe.take('full');
      const text = rollupOf(fs.readFileSync('/proc/self/smaps_rollup', 'latin1'));
      // the process runs between the two reads: same order of magnitude, exact field set
      expect(Math.abs(full.rssBytes - text.rssBytes)).toBeLessThan(16 * 1024 * 1024);
      expect(full.lazyFreeBytes).not.toBeNull();
      const fast = probe.take('fast');
      expect(fast.pssBytes).toBeNull();
      expect(Math.abs(fast.rssBytes - parseStatus(fs.readFileSync('/proc/self/status', 'latin1')).vmRssBytes)).toBeLessThan(16 * 1024 * 1024);
    } finally {
      probe.close();
    }
  });
});
