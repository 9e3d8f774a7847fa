// The counterpart protocol's parent side (counterparts/rsslab.h): each fd-3 line becomes the same
// message the replay's child sends; bad lines are errors to log, never exceptions.
import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_BYTES, parseCounterpartLine } from '../../src/lab/counterpart-protocol.js';

describe('counterpart protocol', () => {
  it('parse - mark, tag, untag, report, log and done become child messages', () => {
    expect(parseCounterpartLine('mark 1 map mmap 64 MiB, hint hugepage')).toEqual({ ok: true, message: { type: 'mark', seq: 1, phase: 'map', label: 'mmap 64 MiB, hint hugepage' } });
    expect(parseCounterpartLine('mark 7 idle')).toEqual({ ok: true, message: { type: 'mark', seq: 7, phase: 'idle', label: 'idle' } });
    expect(parseCounterpartLine('tag 2 main 0x7f4931800000 4194304')).toEqual({ ok: true, message: { type: 'tag', seq: 2, name: 'main', address: '0x7f4931800000', sizeBytes: 4194304 } });
    expect(parseCounterpartLine('untag 3 main')).toEqual({ ok: true, message: { type: 'untag', seq: 3, name: 'main' } });
    expect(parseCounterpartLine('report live=1048576 alloc.resident=null cycle=-1')).toEqual({ ok: true, message: { type: 'report', values: { live: 1048576, 'alloc.resident': null, cycle: -1 } } });
    expect(parseCounterpartLine('log madvise(hugepage) refused: Invalid argument')).toEqual({ ok: true, message: { type: 'log', message: 'madvise(hugepage) refused: Invalid argument' } });
    expect(parseCounterpartLine('done')).toEqual({ ok: true, message: { type: 'done' } });
  });

  it('parse - malformed lines are errors naming what was wrong, not exceptions', () => {
    const cases: Array<[string, RegExp]> = [
      ['mark x map', /mark needs a sequence number/],
      ['mark 1', /mark needs a phase id/],
      ['mark 1 bad/phase', /mark needs a phase id/],
      ['tag 2 main 7f00 4096', /tag needs a 0x address/],
      ['tag 2 main 0x7f00 -1', /tag needs a size in bytes/],
      ['report live', /report wants key=value/],
      ['report live=lots', /report value of live is not a number/],
      ['report __proto__=1', /__proto__/],
      ['hello world', /unknown message "hello"/],
    ];
    for (const [line, why] of cases) {
      const r = parseCounterpartLine(line);
      expect(r.ok, line).toBe(false);
      if (!r.ok) expect(r.error, line).toMatch(why);
    }
  });

  it('lines - split across chunks, and an overlong line is dropped whole with one notice', () => {
    const lines: string[] = [];
    let overflows = 0;
    const s = new LineSplitter((l) => lines.push(l), () => overflows++);
    s.push('mark 1 m');
    s.push('ap\ndone\npart');
    s.push('ial\n');
    expect(lines).toEqual(['mark 1 map', 'done', 'partial']);
    s.push('x'.repeat(MAX_LINE_BYTES + 1));
    s.push('y'.repeat(100));
    s.push('z\nlog after\n');
    expect(overflows).toBe(1);
    expect(lines.slice(3)).toEqual(['log after']);
  });
});
