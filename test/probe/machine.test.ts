import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeMachine, detectCgroupMounts, readMeminfo, readThpSettings } from '../../src/probe/index.js';

describe('describeMachine (live kernel)', () => {
  it('describeMachine - kernel, memory, page sizes, THP and cgroup as the files say', () => {
    const m = describeMachine();
    expect(m.kernel).toBe(os.release());
    expect(m.arch).toBe(os.arch());
    expect(m.cpus).toBeGreaterThanOrEqual(1);
    expect(m.memTotalBytes).toBe(readMeminfo().memTotalBytes);
    const kernelPageKiB = Number(/KernelPageSize:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/smaps', 'latin1'))?.[1]);
    expect(m.pageSize).toBe(kernelPageKiB * 1024);
    expect(m.hugePageSize).toBeGreaterThan(m.pageSize);
    expect(m.root).toBe(process.getuid?.() === 0);
    expect(m.thp.enabled).toBe(readThpSettings().enabled);
    expect(m.cgroup.version).toBe(detectCgroupMounts().memoryVersion);
    expect(m.node).toBe(process.version);
    expect(m).not.toHaveProperty('features');
  });

  it('describeMachine - our memory cgroup is a directory, writable when we are root', () => {
    const m = describeMachine();
    if (m.cgroup.memoryControllerPath === null) {
      console.warn('no memory cgroup on this machine: nothing to check');
      expect(m.cgroup.writable).toBe(false);
      return;
    }
    expect(fs.statSync(m.cgroup.memoryControllerPath).isDirectory()).toBe(true);
    expect(fs.existsSync(`${m.cgroup.memoryControllerPath}/memory.stat`)).toBe(true);
    if (m.root) expect(m.cgroup.writable).toBe(true);
  });
});
