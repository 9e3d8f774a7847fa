import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatBytes, formatMs, formatParam, formatValue, unitOf } from '../../src/report/units.js';

describe('units', () => {
  it('formatBytes - binary units with one decimal', () => {
    expect(formatBytes(256 * 1024 * 1024)).toBe('256.0 MiB');
    expect(formatBytes(1024 * 1024 + 100 * 1024)).toBe('1.1 MiB');
    expect(formatBytes(4096)).toBe('4.0 KiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(-64 * 1024 * 1024)).toBe('-64.0 MiB');
  });

  it('formatBytes - never prints 1024.0 of a unit (moves to the next)', () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB');
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: 2 ** 50 }), (n) => {
        const [num, unit] = formatBytes(n).split(' ');
        expect(Number(num)).toBeLessThan(1024);
        expect(['KiB', 'MiB', 'GiB', 'TiB', 'PiB']).toContain(unit);
      }),
    );
  });

  it('formatMs - ms below a second, seconds with one decimal, minutes above', () => {
    expect(formatMs(350)).toBe('350 ms');
    expect(formatMs(1234)).toBe('1.2 s');
    expect(formatMs(163_500)).toBe('2 min 44 s');
  });

  it('unitOf - memory series are bytes, names ending in Ms are durations, THP counters and pages are counts', () => {
    expect(unitOf('region.main.rss@end:free')).toBe('bytes');
    expect(unitOf('alloc.resident@last')).toBe('bytes');
    expect(unitOf('metric.regrowMs')).toBe('ms');
    expect(unitOf('thp.thp_collapse_alloc@delta:idle')).toBe('count');
    expect(unitOf('check.reclaimedPages@last')).toBe('count');
    expect(formatValue('rss@max', null)).toBe('—');
    expect(formatValue('check.reclaimedPages@last', 12288)).toBe('12,288');
  });

  it('formatParam - sizes and durations by name, other parameters as given', () => {
    expect(formatParam('regionBytes', 64 * 1024 * 1024)).toBe('64.0 MiB');
    expect(formatParam('holdMs', 500)).toBe('500 ms');
    expect(formatParam('reclaimTarget', 0.5)).toBe('0.5');
    expect(formatParam('advice', 'free')).toBe('free');
  });
});

describe('units of the names experiments use', () => {
  it('unitOf - reported values are bytes only when memory (live, alloc.*, v8.*, layer.*), counts otherwise', () => {
    expect(unitOf('live@end:purged')).toBe('bytes');
    expect(unitOf('v8.heapUsed@end:gc')).toBe('bytes');
    expect(unitOf('layer.free@end:freed')).toBe('bytes');
    expect(unitOf('cgroup.usage@max:pressure')).toBe('bytes');
    expect(unitOf('metric.lastCycleRssBytes')).toBe('bytes');
    expect(unitOf('gc.count@end:decode')).toBe('count');
    expect(unitOf('survivors')).toBe('count');
    expect(unitOf('metric.heldOverLive')).toBe('count');
    expect(unitOf('check.reclaimedSum@last')).toBe('count');
    expect(unitOf('cpu.decodeMs')).toBe('ms');
  });
});
