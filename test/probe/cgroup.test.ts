import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CgroupMemoryReader, cgroupVersionOfDir, detectCgroupMounts, memoryCgroupOf, parseCgroupMounts, parseMemoryLimit, parseMemoryStat, parseProcCgroup, readCgroupLimit, readCgroupMemory } from '../../src/probe/index.js';
import { FIXTURES } from './regions-child.js';

const machine = path.join(FIXTURES, 'machine');
const v2Tree = path.join(FIXTURES, 'cgroup-v2');
const fixture = JSON.parse(fs.readFileSync(path.join(machine, 'regions.json'), 'utf8')) as { pid: number; memoryCgroup: string };

describe('cgroup v1 (fixture captured on this machine)', () => {
  it('parseCgroupMounts - finds the v1 memory hierarchy and the v2 mount in mountinfo', () => {
    expect(parseCgroupMounts(fs.readFileSync(path.join(machine, 'proc/self/mountinfo'), 'latin1'))).toEqual({ v1Memory: '/sys/fs/cgroup/memory', v1MemoryRoot: '/', v2: '/sys/fs/cgroup/unified', v2Root: '/' });
  });

  it('parseProcCgroup - v1 controller lines and the v2 "0::" line', () => {
    const c = parseProcCgroup(fs.readFileSync(path.join(machine, 'proc', String(fixture.pid), 'cgroup'), 'latin1'));
    expect(c.v1.get('memory')).toBe(fixture.memoryCgroup);
    expect(c.v1.get('name=systemd')).toBe('/');
    expect(c.v2).toBe('/');
  });

  it('detectCgroupMounts - v1 holds memory; v2 is mounted without it', () => {
    expect(detectCgroupMounts(machine)).toEqual({ v1Memory: path.join(machine, 'sys/fs/cgroup/memory'), v2: path.join(machine, 'sys/fs/cgroup/unified'), v2HasMemory: false, memoryVersion: 1 });
  });

  it('memoryCgroupOf and readCgroupMemory - usage_in_bytes and the total_* counters of memory.stat', () => {
    const cg = memoryCgroupOf(fixture.pid, machine);
    expect(cg).toEqual({ version: 1, path: fixture.memoryCgroup, dir: path.join(machine, 'sys/fs/cgroup/memory', fixture.memoryCgroup) });
    expect(cgroupVersionOfDir(cg?.dir ?? '')).toBe(1);
    expect(readCgroupMemory(cg?.dir ?? '')).toEqual({ usageBytes: 145334272, anonBytes: 23392256, anonThpBytes: 8388608, fileBytes: 115838976, inactiveAnonBytes: 23298048 });
    expect(readCgroupLimit(cg?.dir ?? '')).toBeNull(); // 9223372036854771712: unlimited
  });

  it('parseMemoryStat - v1 prefers the hierarchical total_* over the cgroup-own counters', () => {
    expect(parseMemoryStat('rss 1\nrss_huge 0\ncache 2\ninactive_anon 1\ntotal_rss 10\ntotal_rss_huge 4\ntotal_cache 20\ntotal_inactive_anon 9\n', 1)).toEqual({ anonBytes: 10, anonThpBytes: 4, fileBytes: 20, inactiveAnonBytes: 9 });
    expect(() => parseMemoryStat('anon 1\n', 1)).toThrow(/v1/);
  });
});

describe('cgroup v2 (fixture tree, hand-built: no v2 memory controller on this machine)', () => {
  it('detectCgroupMounts - a v2-only machine with memory in cgroup.controllers (fixture tree)', () => {
    expect(detectCgroupMounts(v2Tree)).toEqual({ v1Memory: null, v2: path.join(v2Tree, 'sys/fs/cgroup'), v2HasMemory: true, memoryVersion: 2 });
  });

  it('memoryCgroupOf - the "0::/path" line resolves under the v2 mount (fixture tree)', () => {
    expect(memoryCgroupOf(4242, v2Tree)).toEqual({ version: 2, path: '/user.slice/rsslab-fixture', dir: path.join(v2Tree, 'sys/fs/cgroup/user.slice/rsslab-fixture') });
  });

  it('readCgroupMemory - memory.current and anon/anon_thp/file/inactive_anon (fixture tree)', () => {
    const dir = path.join(v2Tree, 'sys/fs/cgroup/user.slice/rsslab-fixture');
    expect(cgroupVersionOfDir(dir)).toBe(2);
    const reader = new CgroupMemoryReader(dir);
    try {
      const expected = { usageBytes: 281018368, anonBytes: 270614528, anonThpBytes: 268435456, fileBytes: 5525504, inactiveAnonBytes: 270336000 };
      expect(reader.read()).toEqual(expected);
      expect(reader.read()).toEqual(expected); // the kept-open files re-read from offset 0
    } finally {
      reader.close();
    }
    expect(readCgroupLimit(dir)).toBe(400 * 1024 * 1024);
  });

  it('parseMemoryLimit - "max" is unlimited, garbage is a clear error', () => {
    expect(parseMemoryLimit('max\n')).toBeNull();
    expect(parseMemoryLimit('419430400\n')).toBe(419430400);
    expect(() => parseMemoryLimit('lots')).toThrow(/neither a number nor "max"/);
  });

  it('cgroupVersionOfDir - a directory that is no memory cgroup is a clear error', () => {
    expect(() => cgroupVersionOfDir(v2Tree)).toThrow(/not a memory cgroup directory/);
  });
});

describe('cgroup readers (live kernel)', () => {
  const live = detectCgroupMounts();
  const own = live.memoryVersion === null ? null : memoryCgroupOf('self');
  if (own === null) console.warn('skipping live memory cgroup test: no memory controller mounted on this machine');

  it.skipIf(own === null)('readCgroupMemory - our own memory cgroup charges at least our anonymous memory', () => {
    const memory = readCgroupMemory(own?.dir ?? '', own?.version);
    expect(memory.usageBytes).toBeGreaterThan(0);
    expect(memory.anonBytes).toBeGreaterThan(0);
    expect(memory.usageBytes).toBeGreaterThanOrEqual(memory.anonBytes ?? 0);
  });
});
